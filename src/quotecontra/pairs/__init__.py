"""The pairs stage: quote records -> claims -> natural candidates + synthetic minimal-edit pairs -> splits + card.

``build_dataset`` is the stage logic (no paths); ``run`` reads the run dir, writes ``pairs/`` and logs to MLflow.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from omegaconf import DictConfig, OmegaConf

from quotecontra.gold import GoldRecords, load_gold, records
from quotecontra.pairs.annotation_merge import batch_table, label_candidates, merge_natural, regroup, replace_quotes
from quotecontra.pairs.annotations import AnnotationBatch
from quotecontra.pairs.claim_build import build_claims
from quotecontra.pairs.claims import Claim
from quotecontra.pairs.natural import CandidateOptions, candidate_pairs, encode, gold_pairs
from quotecontra.pairs.perturb import PerturbOptions, has_negation
from quotecontra.pairs.split import (
    SPLITS,
    adversarial_filter,
    assign_splits,
    balance_labels,
    dedup,
    label_counts,
    pair_key,
)
from quotecontra.pairs.synthetic import SyntheticOptions, synthetic_pairs
from quotecontra.records import LABELS, Article, Pair, Quote

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
__all__ = ["PairsOptions", "PairsResult", "build_dataset", "run"]


@dataclass(frozen=True)
class PairsOptions:
    perturb: PerturbOptions = field(default_factory=PerturbOptions)
    candidates: CandidateOptions = field(default_factory=CandidateOptions)
    encoder: str = "minilm"
    split_ratios: tuple[float, float, float] = (0.7, 0.15, 0.15)
    dedup: bool = True
    balance: bool = True
    artifact_margin: float = 10.0
    filter_margin: float = 0.03
    max_other_claims: int = 1
    seed: int = 13


@dataclass
class PairsResult:
    claims: list[Claim]
    splits: dict[str, list[Pair]]  # train/dev/test (synthetic, labelled) and natural (gold)
    candidates: list[Pair]
    baselines: dict[str, float]
    artifacts: dict[str, Any]
    skips: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    encoder: str = "tfidf"


def artifact_stats(splits: dict[str, list[Pair]]) -> dict[str, Any]:
    """Negation rate of hypotheses and edited-premise share, per split and label."""
    neg: dict[str, dict[str, float]] = {}
    side: dict[str, dict[str, float]] = {}
    for s, pairs in splits.items():
        neg[s], side[s] = {}, {}
        for lab in LABELS:
            ps = [p for p in pairs if p.label == lab]
            neg[s][lab] = sum(has_negation(p.hypothesis) for p in ps) / len(ps) if ps else 0.0
            sided = [p for p in ps if p.edited_side]
            side[s][lab] = sum(p.edited_side == "premise" for p in sided) / len(sided) if sided else 0.0
    return {"negation_rate": neg, "edited_premise": side}


def shortcut_baselines(train: Sequence[Pair], test: Sequence[Pair], seed: int) -> dict[str, float]:
    """Hypothesis-only, overlap-only and full TF-IDF accuracy on test (fitted on train), and the majority rate."""
    from quotecontra.baselines import accuracy, fit_hypothesis_only, fit_overlap_only, fit_tfidf_pair, majority_rate

    if len({p.label for p in train}) < 2 or not test:
        return {}
    args = ([p.premise for p in train], [p.hypothesis for p in train], [str(p.label) for p in train], seed)
    test_args = ([p.premise for p in test], [p.hypothesis for p in test], [str(p.label) for p in test])
    out = {"majority": majority_rate(test_args[2])}
    for name, fit in (
        ("hypothesis_only", fit_hypothesis_only),
        ("overlap_only", fit_overlap_only),
        ("tfidf_pair", fit_tfidf_pair),
    ):
        out[name] = accuracy(fit(*args), *test_args)
    return out


def build_dataset(
    quotes: Sequence[Quote],
    articles: dict[str, Article],
    gold: Sequence[GoldRecords],
    nlp: Any,
    opts: PairsOptions,
    batches: Sequence[AnnotationBatch] = (),
) -> PairsResult:
    """The whole stage minus I/O; ``batches`` are the annotation batches of ``pairs.annotations``."""
    skips: Counter[str] = Counter()
    quotes, replaced = replace_quotes(quotes, batches)  # annotators' records replace the pipeline's, per article
    articles = {**{g.article.id: g.article for b in batches for g in b.gold}, **articles}
    usable = []
    for q in quotes:
        art = articles.get(q.article_id)
        if art is None or not art.text.strip():
            skips["article missing or empty"] += 1
        else:
            usable.append(q)
    claims, claim_skips = build_claims(usable, articles, nlp)
    skips.update(claim_skips)

    # gold pairs (natural split): claims of the gold quote records, made the same way
    natural: list[Pair] = []
    exclude_quote_pairs: set[frozenset[str | None]] = set()
    for g in gold:
        gclaims, _ = build_claims(list(g.quotes.values()), {g.article.id: g.article}, nlp)
        natural += gold_pairs(g, {c.quote_id: c for c in gclaims})
        exclude_quote_pairs |= {frozenset({g.quotes[a].id, g.quotes[b].id}) for a, b, _ in g.pairs}
    held_articles = {g.article.id for g in gold if g.split == "heldout"}
    merged = merge_natural(natural, batches, {c.quote_id: c for c in claims}, held_articles)
    natural = merged.natural
    exclude_quote_pairs |= {frozenset({p.premise_quote_id, p.hypothesis_quote_id}) for p in natural}
    natural_keys = {pair_key(p.premise, p.hypothesis) for p in natural}

    docs = list(nlp.pipe((c.claim for c in claims), batch_size=64))
    syn_opts = SyntheticOptions(opts.perturb, opts.max_other_claims, opts.seed)
    raw, syn_skips, made = synthetic_pairs(claims, docs, syn_opts, exclude_quote_pairs)
    skips.update(syn_skips)
    pairs, n_dup = dedup(raw, exclude=natural_keys) if opts.dedup else (raw, 0)

    pairs = regroup(pairs, merged.group_of)  # articles linked by a natural pair share one split
    sizes = Counter(p.group for p in pairs)
    force = {grp: "test" for grp in merged.heldout_groups}
    assignment = assign_splits(dict(sizes), opts.split_ratios, opts.seed, force)
    pairs = [p.model_copy(update={"split": assignment[p.group]}) for p in pairs]
    filter_history: list[dict[str, float]] = []
    if opts.balance:
        pairs, filter_history = adversarial_filter(pairs, opts.seed, margin=opts.filter_margin)
    splits: dict[str, list[Pair]] = {s: [p for p in pairs if p.split == s] for s in SPLITS}
    if opts.balance:
        splits = {s: balance_labels(ps, opts.seed, fine=False) for s, ps in splits.items()}
    splits["natural"] = natural

    claims_emb, used = encode([c.claim for c in claims], opts.encoder) if claims else (None, opts.encoder)
    candidates = candidate_pairs(claims, cast("np.ndarray", claims_emb), opts.candidates) if claims else []
    candidates = label_candidates(candidates, natural)  # gold and annotated labels; symmetric ones both ways

    baselines = shortcut_baselines(splits["train"], splits["test"], opts.seed)
    artifacts = artifact_stats({s: splits[s] for s in SPLITS})
    artifacts["origins_generated"] = dict(made)
    artifacts["margin"] = opts.artifact_margin
    artifacts["duplicates_removed"] = n_dup
    artifacts["filter_history"] = filter_history
    groups_per_split = {s: {p.group for p in splits[s]} for s in SPLITS}
    artifacts["leak_groups"] = sum(
        len(groups_per_split[a] & groups_per_split[b]) for i, a in enumerate(SPLITS) for b in SPLITS[i + 1 :]
    )
    if batches:
        artifacts["annotations"] = batch_table(batches, merged, replaced)
    warnings = []
    for name in ("hypothesis_only", "overlap_only"):
        if name in baselines and 100 * (baselines[name] - baselines["majority"]) > opts.artifact_margin:
            msg = (
                f"{name} baseline scores {100 * baselines[name]:.1f}% on the synthetic test split, more than "
                f"{opts.artifact_margin:g} points above the majority rate {100 * baselines['majority']:.1f}%: "
                "labels are partly guessable without reading the pair"
            )
            log.warning(msg)
            warnings.append(msg)
    return PairsResult(claims, splits, candidates, baselines, artifacts, skips, warnings, used)


def options_from(cfg: DictConfig) -> PairsOptions:
    pc = cfg.pairs
    return PairsOptions(
        perturb=PerturbOptions(
            origins=tuple(pc.origins),
            number_tolerance=float(pc.number_tolerance),
            min_claim_words=int(pc.min_claim_words),
            max_per_family=int(pc.max_per_family),
        ),
        candidates=CandidateOptions(
            min_similarity=float(pc.min_similarity),
            max_per_target=int(pc.max_natural_per_target),
            cross_article=bool(pc.cross_article),
        ),
        encoder=str(pc.encoder),
        split_ratios=tuple(float(r) for r in pc.split_ratios),  # type: ignore[arg-type]
        dedup=bool(pc.dedup),
        balance=bool(pc.balance),
        artifact_margin=float(pc.artifact_margin),
        max_other_claims=int(pc.max_other_claims),
        seed=int(cfg.seed),
    )


def write_outputs(result: PairsResult, out_dir: Path, card: str) -> list[Path]:
    """pairs/: the dataset (pairs_store: hf/, <split>.parquet, natural_candidates.parquet), claims.jsonl, README.md."""
    from quotecontra.pairs_store import write_pairs
    from quotecontra.records import write_jsonl
    from quotecontra.runpaths import RunPaths

    paths = RunPaths.of(out_dir.parent)
    write_pairs(out_dir, {s: result.splits[s] for s in (*SPLITS, "natural")}, result.candidates)
    write_jsonl(paths.claims, result.claims)
    paths.pairs_card.write_text(card, encoding="utf-8")
    return [paths.pairs]


def metrics_of(result: PairsResult) -> dict[str, float]:
    m: dict[str, float] = {}
    for s, ps in result.splits.items():
        m[f"{s}/n"] = len(ps)
        for lab, n in label_counts(ps).items():
            m[f"{s}/{lab}"] = n
        for o, n in Counter(p.origin for p in ps).items():
            m[f"{s}/origin/{o}"] = n
    m["synthetic/n"] = sum(len(result.splits[s]) for s in SPLITS)
    m["candidates/n"] = len(result.candidates)
    m["candidates/gold_labelled"] = sum(p.label is not None for p in result.candidates)
    m["claims/n"] = len(result.claims)
    m |= {f"baseline/{k}": v for k, v in result.baselines.items()}
    for s, rates in result.artifacts["negation_rate"].items():
        m |= {f"negation_rate/{s}/{lab}": r for lab, r in rates.items()}
    m["duplicates_removed"] = result.artifacts["duplicates_removed"]
    m["leak_groups"] = result.artifacts["leak_groups"]
    m |= {f"skipped/{k}": v for k, v in result.skips.items()}
    return m


def run(cfg: DictConfig, tracker) -> Any:
    """Stage entry point: read quotes/articles/gold, build the dataset, write pairs/, log metrics and the input."""
    import spacy

    from quotecontra.pairs.annotation_merge import lineage_metrics, lineage_params, lineage_summary, write_lineage
    from quotecontra.pairs.annotations import load_batches
    from quotecontra.pairs.card import render_card
    from quotecontra.readers import ReadReport
    from quotecontra.records import read_jsonl
    from quotecontra.runpaths import RunPaths
    from quotecontra.stage_guard import require_output
    from quotecontra.stage_result import StageResult

    paths = RunPaths.of(cfg.run_dir)
    quotes = list(read_jsonl(paths.quotes, Quote))
    articles = {a.id: a for a in read_jsonl(paths.articles, Article)}
    from quotecontra.bundled import bundled

    # gold files name their article: look in the input, then the sample corpus (shipped with the package too)
    search = [Path(cfg.input), Path(bundled("data/samples"))]
    # a bad gold file is logged and skipped (ReadReport.add_skip); the other files still give their pairs
    read = ReadReport()
    gold = [records(g) for g in load_gold(list(cfg.pairs.gold_dirs), search, read, articles, missing_ok=True)]
    batches = load_batches(list(cfg.pairs.annotations), articles, search)
    nlp = spacy.load(cfg.annotate.spacy_model)
    opts = options_from(cfg)
    result = build_dataset(quotes, articles, gold, nlp, opts, batches)
    made = sum(len(result.splits[s]) for s in SPLITS) + len(result.candidates)  # gold pairs are not the corpus's
    require_output(cfg, "pairs", made, "pairs", f"{len(result.claims)} claims from {len(quotes)} quote records")
    config_yaml = OmegaConf.to_yaml(
        OmegaConf.create({"seed": cfg.seed, "pairs": OmegaConf.to_container(cfg.pairs, resolve=True)})
    )
    card = render_card(
        result.splits,
        result.candidates,
        result.baselines,
        result.artifacts,
        result.skips,
        config_yaml,
        result.warnings,
        result.encoder,
    )
    outputs = write_outputs(result, paths.pairs, card)
    metrics = metrics_of(result)
    lineage = result.artifacts.get("annotations")
    write_lineage(paths.pairs / "annotations.json", lineage)  # removed when no batch is given
    b: AnnotationBatch | dict[str, float]  # each batch, then the shortcut baselines
    if lineage:
        metrics |= lineage_metrics(lineage)
        tracker.log_params(lineage_params(lineage))
        for b in batches:
            tracker.log_input(f"annotations/{b.id}", Path(b.path), context="pairs", digest=b.digest)
    tracker.log_metrics(metrics)
    tracker.log_input("pairs", paths.pairs, context="pairs")
    b = result.baselines
    summary = [
        f"{len(result.claims)} claims from {len(quotes)} quote records; skipped: "
        + (", ".join(f"{n} {k}" for k, n in sorted(result.skips.items())) or "none"),
        "synthetic "
        + ", ".join(f"{s} {len(result.splits[s])}" for s in SPLITS)
        + f"; natural (gold) {len(result.splits['natural'])}; candidates {len(result.candidates)} ({result.encoder})",
    ]
    if b:
        summary.append(
            f"test accuracy: hypothesis-only {100 * b['hypothesis_only']:.1f}%, overlap-only {100 * b['overlap_only']:.1f}%, "
            f"tfidf pair {100 * b['tfidf_pair']:.1f}%, majority {100 * b['majority']:.1f}%"
        )
    summary += [f"WARNING: {w}" for w in result.warnings]
    if lineage:
        summary.append(lineage_summary(lineage))
    return StageResult(metrics=metrics, outputs=outputs, summary=summary, count=made)
