"""Claim quality: predicted claims against expected ones, and the gold fixture they are read from.

``score`` is pure: two mappings from record id to a claim text, or ``None`` for "no claim" (a skip). It reports the
exact-match rate after normalisation (case, quote marks, punctuation, spacing), a token-level F1 (the SQuAD
measure: bag-of-words overlap, averaged over records), and precision/recall of the skips, overall and per category.
``load_gold`` turns the fixture (tests/fixtures/claims_gold.jsonl) into articles and quote records, and
``predict`` runs the claims stage on them, so the test floor and ``make bench`` measure the same thing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from quotecontra.records import Article, Quote, quote_id

SKIP = "skip"  # the fixture's expected value for "no claim"
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"})
_TOKEN = re.compile(r"[\w]+(?:['-][\w]+)*'?")


def normalise(text: str) -> list[str]:
    """Tokens compared by the metric: casefolded words, quote marks unified, other punctuation dropped."""
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return _TOKEN.findall(s)


def token_f1(pred: str, gold: str) -> float:
    """Bag-of-words F1 of two claims (1.0 when both are empty)."""
    p, g = normalise(pred), normalise(gold)
    if not p and not g:
        return 1.0
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


@dataclass
class ClaimScores:
    """Figures over a set of records (``by_category`` holds the same figures per fixture category)."""

    n: int
    exact: float  # share of records whose claim (or skip) matches exactly after normalisation
    token_f1: float  # mean token F1; a skip scores 1 against a skip and 0 against a claim
    claim_exact: float  # exact-match rate over the records that expect a claim
    skip_precision: float  # of the predicted skips, the share expected (1.0 when nothing was skipped)
    skip_recall: float  # of the expected skips, the share predicted (1.0 when none was expected)
    by_category: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "exact": self.exact,
            "token_f1": self.token_f1,
            "claim_exact": self.claim_exact,
            "skip_precision": self.skip_precision,
            "skip_recall": self.skip_recall,
            "by_category": self.by_category,
        }


def _figures(pred: Mapping[str, str | None], gold: Mapping[str, str | None], ids: list[str]) -> dict[str, float]:
    exact = f1 = claim_hits = 0.0
    n_claims = tp = pred_skips = gold_skips = 0
    for i in ids:
        p, g = pred[i], gold[i]
        if g is None:
            gold_skips += 1
        else:
            n_claims += 1
        if p is None:
            pred_skips += 1
        if p is None or g is None:
            hit = float(p is None and g is None)
            tp += int(hit)
            exact += hit
            f1 += hit
            continue
        hit = float(normalise(p) == normalise(g))
        exact += hit
        claim_hits += hit
        f1 += token_f1(p, g)
    n = len(ids)
    return {
        "n": n,
        "exact": exact / n if n else 0.0,
        "token_f1": f1 / n if n else 0.0,
        "claim_exact": claim_hits / n_claims if n_claims else 1.0,
        "skip_precision": tp / pred_skips if pred_skips else 1.0,
        "skip_recall": tp / gold_skips if gold_skips else 1.0,
    }


def score(
    predicted: Mapping[str, str | None], expected: Mapping[str, str | None], categories: Mapping[str, str] | None = None
) -> ClaimScores:
    """Scores of predicted claims (None = skipped) against expected ones (None = should be skipped)."""
    missing = sorted(set(expected) - set(predicted))
    if missing:
        raise ValueError(f"no prediction for {len(missing)} record(s): {missing[:5]}")
    ids = sorted(expected)
    out = _figures(predicted, expected, ids)
    by_cat: dict[str, dict[str, float]] = {}
    if categories:
        for cat in sorted({categories[i] for i in ids if i in categories}):
            by_cat[cat] = _figures(predicted, expected, [i for i in ids if categories.get(i) == cat])
    return ClaimScores(
        n=int(out["n"]),
        exact=out["exact"],
        token_f1=out["token_f1"],
        claim_exact=out["claim_exact"],
        skip_precision=out["skip_precision"],
        skip_recall=out["skip_recall"],
        by_category=by_cat,
    )


# ---------------------------------------------------------------- the gold fixture


@dataclass
class GoldClaims:
    """The fixture as pipeline input: articles, quote records, expected claims (None = skip), categories."""

    articles: dict[str, Article]
    quotes: list[Quote]
    expected: dict[str, str | None]  # quote id -> claim
    categories: dict[str, str]  # quote id -> category
    record_ids: dict[str, str]  # quote id -> fixture record id


def _find(text: str, piece: str, start: int, where: str) -> tuple[int, int]:
    """Offsets of a quote in its passage: verbatim, else word for word across quote marks (a mixed quote's text
    leaves out the marks around its quoted words, as the data/gold files do)."""
    i = text.find(piece, start)
    if i >= 0:
        return i, i + len(piece)
    words = re.findall(r"\w+", piece)
    m = re.compile(r"\W*".join(map(re.escape, words))).search(text, start) if words else None
    if m is None:
        raise ValueError(f"{where}: {piece!r} is not in the passage")
    return m.start(), m.end()


def load_gold(path: Path) -> GoldClaims:
    """Read the fixture; a record whose quote is not in its passage, or that lacks a field, raises naming it.

    Records that share an ``article`` id share one passage (give it once; later records may omit it)."""
    passages: dict[str, str] = {}
    articles: dict[str, Article] = {}
    gold = GoldClaims(articles, [], {}, {}, {})
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
            rid, q, expected = str(rec["id"]), rec["quote"], rec["expected"]
            aid = str(rec.get("article", rid))
            if "passage" in rec:
                passages[aid] = rec["passage"]
            text = passages[aid]
        except (KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"{where}: malformed claims gold record ({exc!r})") from exc
        where = f"{where} ({rid})"
        articles.setdefault(aid, Article(id=aid, text=text, source=str(path)))
        spans, pos = [], 0
        for piece in q.get("pieces") or [q["text"]]:
            s, e = _find(text, piece, pos, where)
            spans.append((s, e))
            pos = e
        speaker_span = None
        if q.get("speaker_at"):  # the speaker mention: the first after the quote, else the last before it
            at = q["speaker_at"]
            i = text.find(at, spans[-1][1])
            i = i if i >= 0 else text.rfind(at, 0, spans[0][0])
            if i < 0:
                raise ValueError(f"{where}: speaker_at {at!r} is not in the passage")
            speaker_span = (i, i + len(at))
        quote = Quote(
            id=quote_id(aid, spans),
            article_id=aid,
            text=q["text"],
            type=q["type"],
            speaker=q.get("speaker"),
            cue=q.get("cue"),
            target=q.get("target"),
            spans=spans,
            speaker_span=speaker_span,
            annotator="gold",
        )
        if quote.id in gold.expected:
            raise ValueError(f"{where}: the same quote spans appear twice in the fixture")
        gold.quotes.append(quote)
        gold.expected[quote.id] = None if expected == SKIP else str(expected)
        gold.categories[quote.id] = str(rec.get("category", "other"))
        gold.record_ids[quote.id] = rid
    if not gold.quotes:
        raise ValueError(f"{path}: no claims gold records")
    return gold


def predict(gold: GoldClaims, nlp) -> tuple[dict[str, str | None], dict[str, str]]:
    """Claims the pipeline makes for the fixture's records (None where it skips) and its skip reasons."""
    from quotecontra.pairs.claim_build import build_claims

    reasons: dict[str, str] = {}
    claims, _ = build_claims(gold.quotes, gold.articles, nlp, reasons=reasons)
    made = {c.quote_id: c.claim for c in claims}
    return {q.id: made.get(q.id) for q in gold.quotes}, reasons


def evaluate(path: Path, nlp) -> tuple[ClaimScores, list[dict[str, Any]]]:
    """Scores on the fixture and the records that miss, for reading (id, category, expected, predicted, reason)."""
    gold = load_gold(path)
    pred, reasons = predict(gold, nlp)
    scores = score(pred, gold.expected, gold.categories)
    misses = [
        {
            "id": gold.record_ids[q],
            "category": gold.categories[q],
            "expected": gold.expected[q] if gold.expected[q] is not None else SKIP,
            "predicted": pred[q] if pred[q] is not None else f"{SKIP} ({reasons.get(q, '?')})",
        }
        for q in gold.expected
        if (pred[q] is None) != (gold.expected[q] is None)
        or (pred[q] is not None and normalise(cast(str, pred[q])) != normalise(gold.expected[q] or ""))
    ]
    return scores, misses
