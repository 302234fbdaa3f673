"""Synthetic edits of one parsed claim, each with the logical relation it creates (CAD-style minimal pairs).

Every edit is a set of token operations on the claim's single spaCy parse, so edits compose: the negation of a
claim with a modifier dropped is the same root negated with the same modifier tokens removed. That lets one
source sentence give every label from the same words (see :func:`lattice`):

* an *entailing* edit makes ``a ⊨ b`` (a modifier dropped, one sentence of several, a detail added, all→some,
  a number hedged within tolerance);
* its negations give ``¬b ⊨ ¬a`` (entailment with "not" on both sides), ``a ⊥ ¬b`` (contradiction) and the
  neutral ``(b, a)``, ``(¬a, ¬b)``, ``(b, ¬a)``;
* a *contradicting* edit makes ``c ⊥ x`` (negation, antonym, number beyond tolerance, all→none).

Because the same texts serve as hypotheses of different labels, a model that reads only the hypothesis (or only
the word overlap) cannot tell the labels apart; ``split.balance`` then evens the rest out.

Polarity matters: under negation dropping a modifier reverses entailment ("did not rise sharply" does not entail
"did not rise"), so the direction of each entailing edit is decided by the claim's polarity, and contrary edits
(antonyms, numbers) are made only in positive, non-modal claims.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from quotecontra.config import SYNTHETIC_ORIGINS
from quotecontra.pairs.edits import (
    NEGATION_WORDS,
    Ops,
    add_detail,
    antonym_kind,
    antonym_lexicon,
    is_question_or_fragment,
    merge_ops,
    modifier_drops,
    negate,
    pick_detail,
    positive,
    render,
    synonym_lexicon,
    word_swaps,
)
from quotecontra.pairs.numbers import number_edits, quantifier_forms
from quotecontra.records import Label

# ---------------------------------------------------------------- pairs from edits


@dataclass(frozen=True)
class SynPair:
    premise: str
    hypothesis: str
    label: Label
    origin: str
    edited_side: str  # "premise" | "hypothesis": the side further from the original claim
    family: str = ""  # the lattice the pair came from (one source sentence, one edit)


@dataclass
class Sentence:
    """A claim variant: its text and how many edits it carries (0 = the original)."""

    text: str
    edits: int
    ops: Ops = field(default_factory=dict)


def edited_side(p: Sentence, h: Sentence, rng: random.Random) -> str:
    if p.edits != h.edits:
        return "premise" if p.edits > h.edits else "hypothesis"
    return rng.choice(["premise", "hypothesis"])


def lattice(a: Sentence, b: Sentence, na: Sentence | None, nb: Sentence | None, origin: str, rng: random.Random):
    """All labelled pairs from ``a ⊨ b`` and the negations ``na = ¬a``, ``nb = ¬b`` (either may be missing).

    Origins: the entailing edit's name for pairs without negation, ``double_negation`` for ¬b ⊨ ¬a, and
    ``negation`` for the contradictions and the neutrals that carry a negation.
    """
    triples: list[tuple[Sentence, Sentence, Label, str]] = [(a, b, "entailment", origin), (b, a, "neutral", origin)]
    if nb is not None:
        triples += [(a, nb, "contradiction", "negation"), (nb, a, "contradiction", "negation")]
        triples += [(b, nb, "contradiction", "negation"), (nb, b, "contradiction", "negation")]
    if na is not None:
        triples += [(b, na, "neutral", "negation"), (na, b, "neutral", "negation")]
        triples += [(a, na, "contradiction", "negation"), (na, a, "contradiction", "negation")]
    if na is not None and nb is not None:
        triples += [(nb, na, "entailment", "double_negation"), (na, nb, "neutral", "double_negation")]
    fam = f"{origin}:{b.text}"
    return [
        SynPair(p.text, h.text, lab, org, edited_side(p, h, rng), fam)
        for p, h, lab, org in triples
        if p.text != h.text and p.text and h.text
    ]


_SUBSTITUTION_LABELS: dict[str, dict[tuple[str, str], Label]] = {
    # x replaces one word of c; nc, nx are their negations
    "contrary": {
        ("c", "x"): "contradiction", ("x", "c"): "contradiction", ("c", "nx"): "entailment",
        ("x", "nc"): "entailment", ("nx", "c"): "neutral", ("nc", "x"): "neutral",
        ("nc", "nx"): "neutral", ("nx", "nc"): "neutral",
    },
    "contradictory": {
        ("c", "x"): "contradiction", ("x", "c"): "contradiction", ("c", "nx"): "entailment",
        ("x", "nc"): "entailment", ("nx", "c"): "entailment", ("nc", "x"): "entailment",
        ("nc", "nx"): "contradiction", ("nx", "nc"): "contradiction",
    },
    "synonym": {
        ("c", "x"): "entailment", ("x", "c"): "entailment", ("nc", "nx"): "entailment",
        ("nx", "nc"): "entailment", ("c", "nx"): "contradiction", ("nx", "c"): "contradiction",
        ("x", "nc"): "contradiction", ("nc", "x"): "contradiction",
    },
}  # fmt: skip


def substitution_family(
    c: Sentence, x: Sentence, nc: Sentence | None, nx: Sentence | None, kind: str, origin: str, rng: random.Random
) -> list[SynPair]:
    """Pairs from a one-word substitution and the negations of both sentences.

    ``contrary`` (accept/reject, 310/620): both can be false, so their negations are compatible (neutral);
    ``contradictory`` (legal/illegal): not-x means c; ``synonym``: mutual entailment, negations included.
    """
    sents = {"c": c, "x": x, "nc": nc, "nx": nx}
    out = []
    for (p, h), label in _SUBSTITUTION_LABELS[kind].items():
        sp, sh = sents[p], sents[h]
        if sp is None or sh is None or sp.text == sh.text:
            continue
        out.append(SynPair(sp.text, sh.text, label, origin, edited_side(sp, sh, rng), f"{origin}:{x.text}"))
    return out


def contradiction_family(c: Sentence, x: Sentence, nx: Sentence | None, origin: str, rng: random.Random):
    """``c ⊥ x`` both ways, and ``c ⊨ ¬x`` (a contrary edit: what c says rules x out)."""
    return [p for p in substitution_family(c, x, None, nx, "contrary", origin, rng)]


def _variant(doc, root, ops: Ops, edits: int) -> Sentence | None:
    text = render(doc, ops)
    if not text or text == render(doc, {}):
        return None
    return Sentence(text, edits, ops)


def _negated(doc, root, ops: Ops, edits: int) -> Sentence | None:
    neg = negate(doc, root)
    if neg is None:
        return None
    merged = merge_ops(ops, neg)
    return None if merged is None else _variant(doc, root, merged, edits + 1)


def _negated_swap(doc, root, ops: Ops, new_lemma: str) -> Sentence | None:
    """Negation of a sentence whose main verb was swapped and needs do-support ("rejected" -> "did not reject")."""
    neg = negate(doc, root)
    if neg is None or root.i not in ops or root.i not in neg or " not " not in neg[root.i]:
        return None
    do = neg[root.i].split(" not ")[0]
    merged = dict(ops)
    merged[root.i] = f"{do} not {new_lemma}"
    return _variant(doc, root, merged, 2)


@dataclass(frozen=True)
class PerturbOptions:
    origins: tuple[str, ...] = SYNTHETIC_ORIGINS
    number_tolerance: float = 0.1
    min_claim_words: int = 4
    max_per_family: int = 3


def synthesize(doc, opts: PerturbOptions, rng: random.Random) -> tuple[list[SynPair], str | None]:
    """Every synthetic pair from one parsed claim, or a skip reason when the claim cannot be perturbed."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < opts.min_claim_words:
        return [], "too short to perturb"
    if is_question_or_fragment(doc):
        return [], "question or verbless fragment"
    sents = list(doc.sents)
    orig = Sentence(render(doc, {}), 0)
    out: list[SynPair] = []
    want = set(opts.origins)
    neg: Sentence | Ops | None  # a variant sentence (one claim sentence), else the negating ops (several)
    if len(sents) == 1:
        root = sents[0].root
        pos: bool | str = positive(root)  # later the swapped word's part of speech
        n_orig = _negated(doc, root, {}, 0)
        weaker: list[tuple[Ops, str]] = []
        if "drop_modifier" in want:
            drops = modifier_drops(doc, root)
            rng.shuffle(drops)
            weaker += [(d, "drop_modifier") for d in drops[: opts.max_per_family]]
        for ops, origin in weaker:
            v = _variant(doc, root, ops, 1)
            if v is None:
                continue
            nv = _negated(doc, root, ops, 1)
            a, b, na, nb = (orig, v, n_orig, nv) if pos else (v, orig, nv, n_orig)
            out += lattice(a, b, na, nb, origin, rng)
        if "added_detail" in want:
            d_ops = add_detail(doc, root, pick_detail(doc, rng))
            v = _variant(doc, root, d_ops, 1) if d_ops else None
            if v is not None:
                assert d_ops is not None  # v is only made from non-empty ops
                nv = _negated(doc, root, d_ops, 1)
                a, b, na, nb = (v, orig, nv, n_orig) if pos else (orig, v, n_orig, nv)
                out += lattice(a, b, na, nb, "added_detail", rng)
        if "number" in want:
            beyond, within = number_edits(doc, root, opts.number_tolerance, rng)
            for ops in within[: opts.max_per_family]:
                v = _variant(doc, root, ops, 1)
                if v is not None:
                    out += lattice(orig, v, n_orig, _negated(doc, root, ops, 1), "number", rng)
            for ops in beyond[: opts.max_per_family]:
                x = _variant(doc, root, ops, 1)
                if x is not None:
                    nx = _negated(doc, root, ops, 1)
                    out += substitution_family(orig, x, n_orig, nx, "contrary", "number", rng)
        for origin, lexicon in (("antonym", antonym_lexicon()), ("synonym", synonym_lexicon())):
            if origin not in want:
                continue
            swaps = word_swaps(doc, root, lexicon, need_positive=origin == "antonym")
            rng.shuffle(swaps)
            for ops, old, new in swaps[: opts.max_per_family]:
                x = _variant(doc, root, ops, 1)
                if x is None:
                    continue
                nx = _negated(doc, root, ops, 1) or _negated_swap(doc, root, ops, new)
                pos = "ADJ" if doc[next(iter(ops))].pos_ == "ADJ" else "VERB"
                kind = "synonym" if origin == "synonym" else antonym_kind(old, new, pos)
                out += substitution_family(orig, x, n_orig, nx, kind, origin, rng)
        if "quantifier" in want and (q := quantifier_forms(doc)) is not None:
            uni_ops, exi_ops, neg_ops, kind = q
            edits = {"all": (0, 1, 1), "some": (1, 0, 1), "none": (1, 1, 0), "never": (1, 1, 0)}[kind]
            uni, exi, neg = (
                Sentence(render(doc, o), e) for o, e in zip((uni_ops, exi_ops, neg_ops), edits, strict=True)
            )
            for p, h, lab in [
                (uni, exi, "entailment"),
                (exi, uni, "neutral"),
                (uni, neg, "contradiction"),
                (neg, uni, "contradiction"),
                (exi, neg, "contradiction"),
                (neg, exi, "contradiction"),
            ]:
                if p.text != h.text:
                    out.append(
                        SynPair(
                            p.text, h.text, cast(Label, lab), "quantifier", edited_side(p, h, rng), f"quantifier:{kind}"
                        )
                    )
        if "negation" in want and n_orig is not None and not weaker:
            out += [
                SynPair(orig.text, n_orig.text, "contradiction", "negation", "hypothesis", "negation"),
                SynPair(n_orig.text, orig.text, "contradiction", "negation", "premise", "negation"),
            ]
    elif "sentence" in want:
        # One sentence of several is entailed; the sentence negated contradicts the whole claim.
        picks = list(range(len(sents)))
        rng.shuffle(picks)
        for k in picks[: opts.max_per_family]:
            s = sents[k]
            if sum(1 for t in s if not t.is_punct) < 3:
                continue
            one = Sentence(render(doc, {}, span=s), 1)
            neg = negate(doc, s.root)
            n_one = Sentence(render(doc, neg, span=s), 2) if neg is not None else None
            n_whole = Sentence(render(doc, neg), 1) if neg is not None else None
            out += lattice(orig, one, None, n_one, "sentence", rng)
            if n_whole is not None and n_one is not None:
                # ¬s alone is entailed by the claim with s negated; s alone contradicts it
                out.append(SynPair(n_whole.text, n_one.text, "entailment", "sentence", "premise", f"sentence:{k}"))
                out.append(SynPair(n_one.text, n_whole.text, "neutral", "sentence", "hypothesis", f"sentence:{k}"))
    keep = [p for p in out if p.origin in want]
    if not keep:
        return [], "no applicable edit"
    return keep, None


def speaker_swap(claim: str, speaker: str, other: str, negated: str | None) -> list[SynPair]:
    """Reports by different speakers are compatible, so a speaker swap is never a contradiction.

    "A said that X" vs "B said that X" (or "B said that not-X") is neutral: both reports can be true
    (ANNOTATION_GUIDE: what contradicts is content, not who reported it).
    """
    body = claim[:1].lower() + claim[1:] if not claim[:2].isupper() else claim
    body = body.rstrip(".")
    pairs = [
        SynPair(f"{speaker} said that {body}.", f"{other} said that {body}.", "neutral", "speaker_swap", "hypothesis")
    ]
    if negated:
        nbody = negated[:1].lower() + negated[1:] if not negated[:2].isupper() else negated
        pairs.append(
            SynPair(
                f"{speaker} said that {body}.",
                f"{other} said that {nbody.rstrip('.')}.",
                "neutral",
                "speaker_swap",
                "hypothesis",
            )
        )
    return pairs


def other_claim_pairs(claim: str, others: Iterable[str], rng: random.Random, k: int = 1) -> list[SynPair]:
    """Two different claims about the same target: neutral (a different aspect or event)."""
    cands = [o for o in others if o != claim]
    rng.shuffle(cands)
    out = []
    for o in cands[:k]:
        if rng.random() < 0.5:
            out.append(SynPair(claim, o, "neutral", "other_claim", "hypothesis", f"other:{o}"))
        else:
            out.append(SynPair(o, claim, "neutral", "other_claim", "premise", f"other:{o}"))
    return out


def negation_rate(texts: Iterable[str]) -> float:
    """Share of texts with a negation word (the classic hypothesis-only cue)."""
    texts = list(texts)
    if not texts:
        return 0.0
    return sum(has_negation(t) for t in texts) / len(texts)


def has_negation(text: str) -> bool:
    return any(w in NEGATION_WORDS for w in re.findall(r"[a-z']+", text.lower().replace("n't", " n't")))
