"""Synthetic pairs of each claim: its minimal edits (every label from the same sentence), its article mates about
the same target, speaker swaps and the newer edit families; one claim's failure skips only that claim.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from tqdm.auto import tqdm

from quotecontra.pairs.claims import Claim
from quotecontra.pairs.edits import negate, render
from quotecontra.pairs.families import ClaimContext, family_pairs
from quotecontra.pairs.natural import canonical_target
from quotecontra.pairs.perturb import PerturbOptions, SynPair, other_claim_pairs, speaker_swap, synthesize
from quotecontra.records import Pair

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyntheticOptions:
    """What synthesis reads of the pairs options."""

    perturb: PerturbOptions = field(default_factory=PerturbOptions)
    max_other_claims: int = 1
    seed: int = 13


def _pair_id(p: SynPair) -> str:
    return "syn:" + hashlib.sha1(f"{p.premise}|{p.hypothesis}|{p.label}|{p.origin}".encode()).hexdigest()[:14]


def _to_pair(p: SynPair, claim: Claim, other: Claim | None = None) -> Pair:
    other = other or claim
    prem, hyp = (claim, other) if p.edited_side == "hypothesis" or other is claim else (other, claim)
    return Pair(
        id=_pair_id(p),
        premise=p.premise,
        hypothesis=p.hypothesis,
        label=p.label,
        origin=p.origin,
        premise_quote_id=prem.quote_id,
        hypothesis_quote_id=hyp.quote_id,
        article_ids=[claim.article_id],
        group=claim.article_id,
        target=claim.target,
        edited_side=cast(
            "Literal['premise', 'hypothesis'] | None",
            p.edited_side if p.edited_side in {"premise", "hypothesis"} else None,
        ),
    )


def synthetic_pairs(
    claims: Sequence[Claim],
    docs: Sequence[Any],
    opts: SyntheticOptions,
    exclude_quote_pairs: set[frozenset[str | None]],
) -> tuple[list[Pair], Counter[str], Counter[str]]:
    """All synthetic pairs of all claims (before dedup/balance), skip reasons, and counts per origin.

    A claim whose pairs raise is skipped with a logged, counted reason; the other claims keep theirs.
    """
    skips: Counter[str] = Counter()
    made: Counter[str] = Counter()
    out: list[Pair] = []
    by_article_target: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    speakers: dict[str, set[str]] = defaultdict(set)
    for i, c in enumerate(claims):
        by_article_target[(c.article_id, canonical_target(c.target))].append(i)
        if c.speaker:
            speakers[c.article_id].add(c.speaker)
    for i, (claim, doc) in enumerate(tqdm(list(zip(claims, docs, strict=True)), desc="synthetic pairs", leave=False)):
        try:
            pairs = _claim_pairs(
                i, claim, doc, claims, docs, opts, exclude_quote_pairs, by_article_target, speakers, skips
            )
        except Exception as exc:  # one claim's bug must not cost the others their pairs
            log.warning("synthetic pairs of %s skipped: %s: %s", claim.quote_id, type(exc).__name__, exc)
            skips[f"claim error: {type(exc).__name__}"] += 1
            continue
        made.update(p.origin for p in pairs)
        out.extend(pairs)
    return out, skips, made


def _claim_pairs(
    i: int,
    claim: Claim,
    doc: Any,
    claims: Sequence[Claim],
    docs: Sequence[Any],
    opts: SyntheticOptions,
    exclude_quote_pairs: set[frozenset[str | None]],
    by_article_target: dict[tuple[str, str | None], list[int]],
    speakers: dict[str, set[str]],
    skips: Counter[str],
) -> list[Pair]:
    """The synthetic pairs of one claim (its edits, its article mates, speaker swaps and the newer families)."""
    want = set(opts.perturb.origins)
    rng = random.Random(f"{opts.seed}:{claim.quote_id}")
    syn, reason = synthesize(doc, opts.perturb, rng)
    if reason:
        skips[f"claim {reason}"] += 1
    pairs = [_to_pair(p, claim) for p in syn]
    if "other_claim" in want and claim.target:
        mates = [
            claims[j]
            for j in by_article_target[(claim.article_id, canonical_target(claim.target))]
            if j != i and frozenset({claim.quote_id, claims[j].quote_id}) not in exclude_quote_pairs
        ]
        texts = {m.claim: m for m in mates}
        for p in other_claim_pairs(claim.claim, sorted(texts), rng, k=opts.max_other_claims):
            pairs.append(_to_pair(p, claim, texts[p.hypothesis if p.premise == claim.claim else p.premise]))
    others = sorted(speakers[claim.article_id] - {claim.speaker or ""})
    if "speaker_swap" in want and claim.speaker and others and not reason:
        sents = list(doc.sents)
        neg_ops = negate(doc, sents[0].root) if len(sents) == 1 else None
        negated = render(doc, neg_ops) if neg_ops is not None else None
        for p in speaker_swap(claim.claim, claim.speaker, rng.choice(others), negated):
            pairs.append(_to_pair(p, claim))
    mate_ids = [
        j
        for j in (by_article_target[(claim.article_id, canonical_target(claim.target))] if claim.target else [])
        if j != i and frozenset({claim.quote_id, claims[j].quote_id}) not in exclude_quote_pairs
    ]
    deniers = tuple(others) or ((claim.speaker,) if claim.speaker else ())
    ctx = ClaimContext(deniers, tuple((j, docs[j]) for j in mate_ids))
    fam_rng = random.Random(f"{opts.seed}:{claim.quote_id}:families")  # the older families' draws stay as they were
    for p, j in family_pairs(doc, ctx, opts.perturb, fam_rng):
        pairs.append(_to_pair(p, claim, claims[j] if j is not None else None))
    return pairs
