"""Agreement between annotators: majority labels, Cohen's and Fleiss' kappa for pairs, span F1 for quotes.

Pure functions on plain data so they can be unit tested against hand-computed values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations

from sklearn.metrics import cohen_kappa_score

Span = tuple[int, int]


def majority(votes: Sequence[str], tie_breaker: str | None = None) -> tuple[str | None, bool]:
    """The most frequent label and whether it is a strict majority winner.

    A tie is broken by ``tie_breaker`` (the ground-truth annotation's label) when it is one of the tied labels;
    otherwise the label is None: a coin flip is not gold.
    """
    if not votes:
        return None, False
    counts = Counter(votes).most_common()
    top = counts[0][1]
    tied = sorted(label for label, n in counts if n == top)
    if len(tied) == 1:
        return tied[0], True
    if tie_breaker in tied:
        return tie_breaker, False
    return None, False


def fleiss_kappa(items: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa over items rated by two or more annotators (variable rater counts allowed).

    Items with fewer than two ratings carry no agreement information and are ignored; None when none remain
    or when every rating is the same single category (chance agreement is 1, kappa undefined).
    """
    rated = [list(r) for r in items if len(r) >= 2]
    if not rated:
        return None
    categories = sorted({c for r in rated for c in r})
    total = sum(len(r) for r in rated)
    p_obs = 0.0
    for r in rated:
        n = len(r)
        counts = Counter(r)
        p_obs += (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
    p_obs /= len(rated)
    shares = {c: sum(r.count(c) for r in rated) / total for c in categories}
    p_exp = sum(s * s for s in shares.values())
    if p_exp >= 1.0:
        return None
    return (p_obs - p_exp) / (1.0 - p_exp)


def pairwise_cohen(ratings: Mapping[str, Mapping[str, str]]) -> dict[str, float | None]:
    """Cohen's kappa for each pair of annotators over the items both labeled.

    ``ratings`` maps annotator -> item -> label. The key of the result is "a|b". A pair of annotators with no
    shared item is left out; None where kappa is undefined (both gave one identical constant label).
    """
    out: dict[str, float | None] = {}
    for a, b in combinations(sorted(ratings), 2):
        shared = sorted(set(ratings[a]) & set(ratings[b]))
        if not shared:
            continue
        ya = [ratings[a][i] for i in shared]
        yb = [ratings[b][i] for i in shared]
        if len(set(ya) | set(yb)) < 2:
            out[f"{a}|{b}"] = None
            continue
        out[f"{a}|{b}"] = float(cohen_kappa_score(ya, yb))
    return out


def span_f1(a: Sequence[Sequence[Span]], b: Sequence[Sequence[Span]]) -> dict[str, float]:
    """Agreement between two annotators' quote content spans in one article.

    ``exact``: F1 of quotes whose span lists are identical. ``overlap``: character-level F1 of the covered
    content (soft: a boundary moved by one word costs little). Two empty annotations agree fully.
    """
    sa = {tuple(tuple(s) for s in q) for q in a}
    sb = {tuple(tuple(s) for s in q) for q in b}
    exact = _f1(len(sa & sb), len(sa), len(sb))
    ca = {i for q in a for s, e in q for i in range(s, e)}
    cb = {i for q in b for s, e in q for i in range(s, e)}
    overlap = _f1(len(ca & cb), len(ca), len(cb))
    return {"exact": exact, "overlap": overlap}


def _f1(tp: int, n_a: int, n_b: int) -> float:
    if n_a == 0 and n_b == 0:
        return 1.0
    if tp == 0:
        return 0.0
    p, r = tp / n_a, tp / n_b
    return 2 * p * r / (p + r)
