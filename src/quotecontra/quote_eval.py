"""Quote evaluation: predicted quote records against gold files (data/gold format) or PolNeAR.

Gold files carry no spans, only the quote text, so quotes are matched by their words. Both texts are normalised
(curly quotes and apostrophes made straight, whitespace collapsed), lowercased and split into word tokens with
punctuation dropped. The match score of a prediction P against a gold quote G is the *gold coverage*
``|P ∩ G| / |G|`` over token multisets (the GenderGapTracker convention: a prediction covering at least the
threshold share of the gold quote counts); the Jaccard variant ``|P ∩ G| / |P ∪ G|`` and exact match (same token
sequence) are reported beside it. Predictions and gold quotes are paired one-to-one by the Hungarian algorithm
(maximum total score among pairs at or above the threshold). A prediction paired with, or matching, a gold quote
marked ``required: false`` is neither a true nor a false positive.

Speaker, cue, target and type accuracy are computed over the true positives of the coverage matching.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig
from scipy.optimize import linear_sum_assignment

from quotecontra.gold import (  # re-exported: gold files as the scorer reads them
    QUOTE_TYPES,
    GoldArticle,
    GoldQuote,
    load_gold,
    parse_gold,
)
from quotecontra.polnear_eval import (  # re-exported: the PolNeAR half of quote evaluation
    POLNEAR_DEFINITION,
    evaluate_polnear,
    polnear_gold_quotes,
    polnear_metrics,
    prf,
    quote_components,
    score_polnear,
    tokens_in,
    word_spans,
)
from quotecontra.readers import ReadReport
from quotecontra.records import Quote
from quotecontra.text_match import (  # re-exported: the text-matching half of quote evaluation
    coverage,
    cue_matches,
    exact,
    jaccard,
    normalize_name,
    normalize_text,
    speaker_matches,
    stem,
    target_matches,
    tokenize,
)

log = logging.getLogger(__name__)

__all__ = [  # the gold, PolNeAR and text-matching names stay importable from here
    "POLNEAR_DEFINITION",
    "QUOTE_TYPES",
    "GoldArticle",
    "GoldQuote",
    "coverage",
    "cue_matches",
    "evaluate_polnear",
    "exact",
    "jaccard",
    "load_gold",
    "metrics_of",
    "normalize_name",
    "normalize_text",
    "parse_gold",
    "polnear_gold_quotes",
    "polnear_metrics",
    "prf",
    "quote_components",
    "run",
    "score_polnear",
    "score_quotes",
    "speaker_matches",
    "stem",
    "target_matches",
    "tokenize",
    "tokens_in",
    "word_spans",
]

DEFAULT_THRESHOLD = 0.5
OVERLAP_DEFINITION = (
    "coverage = |pred ∩ gold| / |gold| over lowercased word-token multisets (punctuation dropped, quotes and "
    "apostrophes normalised); one-to-one Hungarian matching of pairs with coverage >= threshold; jaccard = "
    "|pred ∩ gold| / |pred ∪ gold| with the same threshold; exact = identical token sequence"
)

# ---------------------------------------------------------------------------------------------------------------
# Gold


# ---------------------------------------------------------------------------------------------------------------
# Matching and scoring


@dataclass
class Matching:
    pairs: list[tuple[int, int]]  # (pred index, gold index) of true positives (required gold)
    ignored: list[int]  # predictions paired with or matching an optional gold quote
    false_pos: list[int]
    false_neg: list[int]  # required gold quotes left unmatched


def match(scores: np.ndarray, required: Sequence[bool], threshold: float) -> Matching:
    """One-to-one assignment maximising the total score among pairs at or above the threshold.

    ``scores`` is (n_pred, n_gold). A tiny bonus makes a required gold quote win a tie against an optional one.
    """
    n_pred, n_gold = scores.shape
    ok = scores >= threshold - 1e-12
    weights = np.where(ok, scores + 1e-6 * np.asarray(required, dtype=float)[None, :], 0.0) if n_gold else scores
    assigned: list[tuple[int, int]] = []
    if n_pred and n_gold:
        rows, cols = linear_sum_assignment(weights, maximize=True)
        assigned = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if ok[r, c]]
    pairs = [(p, g) for p, g in assigned if required[g]]
    ignored = [p for p, g in assigned if not required[g]]
    used_pred = {p for p, _ in assigned}
    optional = [g for g in range(n_gold) if not required[g]]
    false_pos = []
    for p in range(n_pred):
        if p in used_pred:
            continue
        if optional and any(ok[p, g] for g in optional):
            ignored.append(p)
        else:
            false_pos.append(p)
    matched_gold = {g for _, g in assigned}
    false_neg = [g for g in range(n_gold) if required[g] and g not in matched_gold]
    return Matching(pairs=pairs, ignored=sorted(ignored), false_pos=false_pos, false_neg=false_neg)


@dataclass
class Tally:
    """Counts that add up across articles; :meth:`summary` turns them into rates."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)

    def summary(self) -> dict[str, Any]:
        c = self.counts
        out: dict[str, Any] = {"n_pred": c["n_pred"], "n_gold": c["n_gold"], "n_gold_optional": c["n_gold_optional"]}
        for m in ("quote", "quote_jaccard", "quote_exact"):
            out[m] = prf(c[f"{m}.tp"], c[f"{m}.fp"], c[f"{m}.fn"]) | {"ignored": c[f"{m}.ignored"]}
        for attr in ("speaker", "cue", "target", "type"):
            n = c["quote.tp"]
            out[attr] = {"acc": c[f"{attr}.correct"] / n if n else 0.0, "correct": c[f"{attr}.correct"], "n": n}
        per_type = {}
        for t in QUOTE_TYPES:
            tp_p, fp = c[f"type.{t}.tp_pred"], c[f"type.{t}.fp"]
            tp_g, fn = c[f"type.{t}.tp_gold"], c[f"type.{t}.fn"]
            p = tp_p / (tp_p + fp) if tp_p + fp else 0.0
            r = tp_g / (tp_g + fn) if tp_g + fn else 0.0
            per_type[t] = {
                "p": p,
                "r": r,
                "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "n_pred": tp_p + fp,
                "n_gold": tp_g + fn,
            }
        out["per_type"] = per_type
        return out


def score_article(preds: Sequence[Quote], gold: GoldArticle, threshold: float = DEFAULT_THRESHOLD) -> Tally:
    """Tally of one article's predictions against its gold quotes."""
    tally = Tally()
    c = tally.counts
    required = [q.required for q in gold.quotes]
    c["n_pred"] += len(preds)
    c["n_gold"] += sum(required)
    c["n_gold_optional"] += len(required) - sum(required)
    p_tok = [tokenize(p.text) for p in preds]
    g_tok = [q.tokens for q in gold.quotes]
    for name, fn, thr in (
        ("quote", coverage, threshold),
        ("quote_jaccard", jaccard, threshold),
        ("quote_exact", exact, 1.0),
    ):
        scores = np.array([[fn(p, g) for g in g_tok] for p in p_tok], dtype=float).reshape(len(preds), len(g_tok))
        m = match(scores, required, thr)
        c[f"{name}.tp"] += len(m.pairs)
        c[f"{name}.fp"] += len(m.false_pos)
        c[f"{name}.fn"] += len(m.false_neg)
        c[f"{name}.ignored"] += len(m.ignored)
        if name != "quote":
            continue
        for pi, gi in m.pairs:
            p, g = preds[pi], gold.quotes[gi]
            c["speaker.correct"] += speaker_matches(p.speaker, g.speaker)
            c["cue.correct"] += cue_matches(p.cue, g.cue)
            c["target.correct"] += target_matches(p.target, g.target)
            c["type.correct"] += p.type == g.type
            c[f"type.{p.type}.tp_pred"] += 1
            c[f"type.{g.type}.tp_gold"] += 1
        for pi in m.false_pos:
            c[f"type.{preds[pi].type}.fp"] += 1
        for gi in m.false_neg:
            c[f"type.{gold.quotes[gi].type}.fn"] += 1
    return tally


def score_quotes(
    pred: Iterable[Quote], gold: Sequence[GoldArticle], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """Scores over all gold articles, per group (dev / heldout / seed) and per gold file.

    Predictions for articles without a gold file are not scored (``unscored_predictions`` counts them).
    """
    by_article: dict[str, list[Quote]] = {}
    for q in pred:
        by_article.setdefault(q.article_id, []).append(q)
    groups: dict[str, Tally]
    total, groups, files = Tally(), {}, {}
    for g in gold:
        t = score_article(by_article.get(g.article_id, []), g, threshold)
        total.add(t)
        groups.setdefault(g.group, Tally()).add(t)
        files[g.path.name] = {"article_id": g.article_id, "group": g.group, **t.summary()}
    gold_ids = {g.article_id for g in gold}
    return {
        "threshold": threshold,
        "matching": OVERLAP_DEFINITION,
        "n_articles": len(gold),
        "unscored_predictions": sum(len(v) for k, v in by_article.items() if k not in gold_ids),
        "all": total.summary(),
        "groups": {k: groups[k].summary() for k in sorted(groups)},
        "files": files,
    }


_HEADLINE = ("quote.p", "quote.r", "quote.f1", "quote_exact.f1", "quote_jaccard.f1")


def flat_metrics(summary: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """MLflow keys of one summary: quote.f1, quote_exact.f1, speaker.acc, per_type.direct.f1, ..."""
    out: dict[str, float] = {}
    for m in ("quote", "quote_jaccard", "quote_exact"):
        for k in ("p", "r", "f1"):
            out[f"{prefix}{m}.{k}"] = summary[m][k]
    for attr in ("speaker", "cue", "target", "type"):
        out[f"{prefix}{attr}.acc"] = summary[attr]["acc"]
    for t, s in summary["per_type"].items():
        for k in ("p", "r", "f1"):
            out[f"{prefix}per_type.{t}.{k}"] = s[k]
    out[f"{prefix}n_pred"] = summary["n_pred"]
    out[f"{prefix}n_gold"] = summary["n_gold"]
    return out


def metrics_of(result: dict[str, Any]) -> dict[str, float]:
    """All-article metrics unprefixed, each group's prefixed ('heldout.quote.f1')."""
    out = flat_metrics(result["all"])
    for group, summary in result["groups"].items():
        out.update(flat_metrics(summary, prefix=f"{group}."))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Stage (I/O at the edge)


def annotate_options(cfg: DictConfig) -> Any:
    """The annotate engine's options from the config (the one place that knows how they are built)."""
    from quotecontra.annotate.extract import AnnotateOptions

    return AnnotateOptions.from_config(cfg.annotate)


def _annotate(articles: list[Any], cfg: DictConfig) -> list[Quote]:
    """Run the annotate engine on articles read here (PolNeAR, or gold articles the run did not cover)."""
    from tqdm import tqdm

    from quotecontra.annotate.extract import build_nlp
    from quotecontra.annotate.extractors import extractor_of

    options = annotate_options(cfg)
    errors: list[tuple[str, str]] = []
    out: list[Quote] = []
    extractor = extractor_of(cfg)  # annotate.extractor: rules | learned | hybrid
    stream = extractor.stream(articles, lambda: build_nlp(options.spacy_model), options, errors=errors)
    for _article, records in tqdm(stream, total=len(articles), desc="annotate", unit="article"):
        out.extend(records)
    for article_id, reason in errors:
        log.warning("annotate failed on %s: %s (scored with no predictions)", article_id, reason)
    return out


def _gold_sources(cfg: DictConfig) -> list[Path]:
    if cfg.gold:
        return [Path(cfg.gold)]
    return [p for p in (Path("data/gold"), Path(cfg.data.shared_dir) / "seed" / "gold.json") if p.exists()]


def reader_options(cfg: DictConfig) -> Any:
    """annotate's reader options, with the format taken from each gold article's file (format=auto)."""
    from dataclasses import replace

    from quotecontra.annotate.stage import reader_options as annotate_reader_options

    return replace(annotate_reader_options(cfg), format="auto")


def _run_gold(cfg: DictConfig, tracker: Any) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    from quotecontra.readers import iter_articles
    from quotecontra.records import Article, read_jsonl
    from quotecontra.runpaths import RunPaths

    paths = RunPaths.of(cfg.run_dir)
    sources = _gold_sources(cfg)
    if not sources:
        raise FileNotFoundError("no gold files: pass gold=FILE_OR_DIR (data/gold and the seed are absent)")
    report = ReadReport()
    # the run's articles come first in the gold lookup: imported gold names its article by id, not by a file beside it
    run_articles = {a.id: a for a in read_jsonl(paths.articles, Article)} if paths.articles.exists() else {}
    gold = load_gold(sources, report=report, articles=run_articles)
    if not gold:
        skips = "; ".join(s.reason for s in report.skips) or "no gold files"
        raise ValueError(f"evaluate-quotes: no gold file loaded from {[str(s) for s in sources]}: {skips}")
    for src in sources:
        tracker.log_input(f"gold:{src.name}", src, context="eval")
    preds = list(read_jsonl(paths.quotes, Quote)) if paths.quotes.exists() else []
    if paths.articles.exists():
        covered = {
            a["id"] for a in (json.loads(line) for line in paths.articles.open(encoding="utf-8") if line.strip())
        }
    else:
        covered = {q.article_id for q in preds}
    missing = [g for g in gold if g.article_id not in covered]
    if missing:
        log.info("annotating %d gold articles the run did not cover", len(missing))
        opts = reader_options(cfg)
        articles = [a for g in missing for a in iter_articles(g.article_path, opts)]
        preds += _annotate(articles, cfg)
    result = score_quotes(preds, gold, threshold=float(cfg.quote_eval.threshold))
    result["annotated_here"] = sorted(g.article_id for g in missing)
    result["skipped_gold"] = [f"{s.source}: {s.reason}" for s in report.skips]
    a = result["all"]
    summary = [
        f"{len(gold)} gold files ({', '.join(f'{k}: {sum(g.group == k for g in gold)}' for k in result['groups'])}); "
        f"{a['n_pred']} predictions vs {a['n_gold']} required gold quotes",
        f"quote P/R/F1 {a['quote']['p']:.3f}/{a['quote']['r']:.3f}/{a['quote']['f1']:.3f} at coverage >= "
        f"{result['threshold']}; exact F1 {a['quote_exact']['f1']:.3f}; jaccard F1 {a['quote_jaccard']['f1']:.3f}",
        f"speaker acc {a['speaker']['acc']:.3f}, cue acc {a['cue']['acc']:.3f}, target acc {a['target']['acc']:.3f} "
        f"(over {a['speaker']['n']} matched)",
    ]
    for group, s in result["groups"].items():
        summary.append(f"{group}: quote F1 {s['quote']['f1']:.3f}, speaker acc {s['speaker']['acc']:.3f}")
    if missing:
        summary.append(f"annotated here (not in the run): {', '.join(result['annotated_here'])}")
    if report.skips:
        summary.append(f"skipped gold files: {len(report.skips)} (see quote_metrics.json)")
    return result, metrics_of(result), summary


def _run_polnear(cfg: DictConfig, tracker: Any) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    root = Path(cfg.data.shared_dir) / "polnear"
    result = evaluate_polnear(root, cfg.split, int(cfg.quote_eval.max_articles), lambda arts: _annotate(arts, cfg))
    tracker.log_input(f"polnear:{cfg.split}", root / "metadata.tsv", context="eval")
    summary = [
        f"PolNeAR {cfg.split}: {result['n_articles']} articles, {result['n_pred']} predictions, "
        f"{result['n_gold']} gold attributions"
    ]
    for role in ("content", "source", "cue"):
        ex, ov = result[role]["exact"], result[role]["overlap"]
        summary.append(
            f"{role:<8} exact P/R/F1 {ex['p']:.3f}/{ex['r']:.3f}/{ex['f1']:.3f}   "
            f"overlap P/R/F1 {ov['p']:.3f}/{ov['r']:.3f}/{ov['f1']:.3f}"
        )
    return result, polnear_metrics(result), summary


def run(cfg: DictConfig, tracker: Any) -> Any:
    """Stage ``evaluate-quotes``: dataset=gold scores run_dir/quotes.jsonl; dataset=polnear annotates and scores."""
    from quotecontra.runpaths import RunPaths
    from quotecontra.stage_result import StageResult

    if cfg.dataset == "gold":
        result, metrics, summary = _run_gold(cfg, tracker)
    elif cfg.dataset == "polnear":
        result, metrics, summary = _run_polnear(cfg, tracker)
    else:
        raise ValueError(f"dataset={cfg.dataset!r}: expected gold or polnear")
    result["dataset"] = cfg.dataset
    out = RunPaths.of(cfg.run_dir).quote_metrics
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return StageResult(metrics=metrics, outputs=[out], summary=summary)
