"""PolNeAR scoring: predicted quote records against PolNeAR attributions, span by span (content, source, cue).

Split from :mod:`quotecontra.quote_eval` (gold-file scoring and the ``evaluate-quotes`` stage), which re-exports
these names. Spans are compared as sets of word tokens; see :data:`POLNEAR_DEFINITION`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from quotecontra.readers import ReadReport
from quotecontra.records import Quote


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 with the counts behind them (0.0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


_WORD_SPAN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
POLNEAR_DEFINITION = (
    "spans are compared as sets of word tokens (regex word runs; punctuation and quotation marks ignored). "
    "exact: a predicted component (content spans of one quote, its speaker_span, its cue_span) is a true positive "
    "when a gold attribution's component has the same token set (one-to-one). overlap (Citron): precision = "
    "predicted tokens inside any gold component / predicted tokens, recall = gold tokens inside any predicted "
    "component / gold tokens"
)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of the word tokens of a text."""
    return [m.span() for m in _WORD_SPAN.finditer(text)]


def tokens_in(spans: Iterable[tuple[int, int]], words: Sequence[tuple[int, int]]) -> frozenset[int]:
    """Indices of the words that overlap any of the character spans."""
    import bisect

    starts = [s for s, _ in words]
    out: set[int] = set()
    for s, e in spans:
        i = max(bisect.bisect_right(starts, s) - 1, 0)
        while i < len(words) and words[i][0] < e:
            if words[i][1] > s:
                out.add(i)
            i += 1
    return frozenset(out)


def quote_components(q: Quote) -> dict[str, list[tuple[int, int]]]:
    """Our record mapped to PolNeAR's roles: content = spans, source = speaker_span, cue = cue_span."""
    # tuple() of a (start, end) pair is typed tuple[int, ...]; the spans are pairs (validated records)
    return cast(
        "dict[str, list[tuple[int, int]]]",
        {
            "content": [tuple(s) for s in q.spans],
            "source": [tuple(q.speaker_span)] if q.speaker_span else [],
            "cue": [tuple(q.cue_span)] if q.cue_span else [],
        },
    )


def score_polnear(pred: Iterable[Quote], docs: Sequence[Any]) -> dict[str, Any]:
    """Exact and overlap P/R/F1 of content, source and cue over PolNeAR docs (``polnear.PolnearDoc``)."""
    from quotecontra.polnear import ROLES

    by_article: dict[str, list[Quote]] = {}
    for q in pred:
        by_article.setdefault(q.article_id, []).append(q)
    c: Counter[str] = Counter()
    for doc in docs:
        words = word_spans(doc.article.text)
        preds = by_article.get(doc.article.id, [])
        c["n_pred"] += len(preds)
        c["n_gold"] += len(doc.attributions)
        for role in ROLES:
            gold_sets = [tokens_in(a.role(role), words) for a in doc.attributions]
            pred_sets = [tokens_in(quote_components(q)[role], words) for q in preds]
            gold_sets = [s for s in gold_sets if s]
            pred_sets = [s for s in pred_sets if s]
            tp = sum((Counter(pred_sets) & Counter(gold_sets)).values())
            c[f"{role}.exact.tp"] += tp
            c[f"{role}.exact.fp"] += len(pred_sets) - tp
            c[f"{role}.exact.fn"] += len(gold_sets) - tp
            gold_union = frozenset().union(*gold_sets)
            pred_union = frozenset().union(*pred_sets)
            c[f"{role}.overlap.pred_hit"] += sum(len(s & gold_union) for s in pred_sets)
            c[f"{role}.overlap.pred_len"] += sum(len(s) for s in pred_sets)
            c[f"{role}.overlap.gold_hit"] += sum(len(s & pred_union) for s in gold_sets)
            c[f"{role}.overlap.gold_len"] += sum(len(s) for s in gold_sets)
    out: dict[str, Any] = {
        "definition": POLNEAR_DEFINITION,
        "n_articles": len(docs),
        "n_pred": c["n_pred"],
        "n_gold": c["n_gold"],
    }
    for role in ROLES:
        ex = prf(c[f"{role}.exact.tp"], c[f"{role}.exact.fp"], c[f"{role}.exact.fn"])
        ph, pl = c[f"{role}.overlap.pred_hit"], c[f"{role}.overlap.pred_len"]
        gh, gl = c[f"{role}.overlap.gold_hit"], c[f"{role}.overlap.gold_len"]
        p = ph / pl if pl else 0.0
        r = gh / gl if gl else 0.0
        ov = {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "pred_tokens": pl, "gold_tokens": gl}
        out[role] = {"exact": ex, "overlap": ov}
    return out


def polnear_metrics(result: dict[str, Any], prefix: str = "polnear.") -> dict[str, float]:
    """polnear.content.exact.f1, polnear.source.overlap.p, ..."""
    from quotecontra.polnear import ROLES

    return {
        f"{prefix}{role}.{kind}.{k}": result[role][kind][k]
        for role in ROLES
        for kind in ("exact", "overlap")
        for k in ("p", "r", "f1")
    }


def polnear_gold_quotes(doc: Any) -> list[Quote]:
    """The gold attributions as Quote records: scoring them must give 1.0 (used by tests and as a sanity check)."""
    from quotecontra.annotate.tags import merge_spans  # lazy: the annotate package loads spaCy
    from quotecontra.records import quote_id

    out = []
    for a in doc.attributions:
        spans = merge_spans(a.content)
        out.append(
            Quote(
                id=quote_id(doc.article.id, spans),
                article_id=doc.article.id,
                text=" ".join(doc.article.text[s:e] for s, e in spans),
                type="indirect",
                speaker=" ".join(doc.article.text[s:e] for s, e in a.source) or None,
                cue=" ".join(doc.article.text[s:e] for s, e in a.cue),
                spans=spans,
                speaker_span=(a.source[0][0], a.source[-1][1]) if a.source else None,
                cue_span=(a.cue[0][0], a.cue[-1][1]),
                annotator=f"polnear:{doc.annotator}",
            )
        )
    return out


def evaluate_polnear(root: Path, split: str, max_articles: int, predict: Any) -> dict[str, Any]:
    """Read a PolNeAR split, get predictions from ``predict(articles) -> Iterable[Quote]`` and score them."""
    from quotecontra.polnear import iter_polnear

    report = ReadReport()
    docs = list(iter_polnear(root, split, max_articles=max_articles, report=report))
    if not docs:
        raise ValueError(f"no PolNeAR {split} articles read from {root}: {report.summary()}")
    preds = list(predict([d.article for d in docs]))
    result = score_polnear(preds, docs)
    result["split"] = split
    result["skipped_articles"] = [f"{s.source}: {s.reason}" for s in report.skips]
    result["skipped_incomplete_attributions"] = sum(d.skipped_events for d in docs)
    return result
