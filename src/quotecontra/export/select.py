"""Active selection of the Label Studio pair tasks (``export.select``): which natural candidates annotators see.

A batch of ``export.max_pair_tasks`` labels is worth most where the model is least sure, but the most uncertain
pairs bunch up (one vague target, one long article), so the pick is greedy with soft caps per target and per
article: every target and article gets its share before any gets more, and the caps are raised only when the pool
cannot fill the batch otherwise. Strategies:

- ``first``: the first pairs in the pairs stage's order (by target, most similar first): the old behaviour;
- ``uncertainty``: the run's model (``run_dir/model``) scores every candidate; highest entropy of its calibrated
  probabilities first, under the caps; each task carries the model's label and probability as its pre-annotation;
- ``diverse``: no model; most similar pair first under the caps, so a batch covers as many stories as it can;
- ``random``: a seeded uniform sample (the baseline the others must beat, see ``benchmarks/active_loop.py``).

The scoring and picking functions are pure; :func:`select_tasks` is the export stage's glue.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from quotecontra.records import LABELS, Pair

log = logging.getLogger(__name__)
__all__ = [
    "STRATEGIES",
    "Selection",
    "capped_greedy",
    "entropy",
    "margin",
    "pick",
    "pre_annotate",
    "select_tasks",
]

STRATEGIES = ("first", "uncertainty", "diverse", "random")


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy of each row, divided by log(#labels): 0 = certain, 1 = uniform."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1) / math.log(p.shape[1])


def margin(probs: np.ndarray) -> np.ndarray:
    """1 - (top probability - runner-up): 0 = certain, 1 = a tie between the top two labels."""
    s = np.sort(np.asarray(probs, dtype=np.float64), axis=1)
    return 1.0 - (s[:, -1] - s[:, -2])


def capped_greedy(
    scores: Sequence[float],
    targets: Sequence[str | None],
    articles: Sequence[Sequence[str]],
    k: int,
    per_target: int,
    per_article: int,
) -> list[int]:
    """Indices of ``k`` items, best score first, at most ``per_target`` per target and ``per_article`` per article.

    A pass that cannot fill the batch is followed by one with both caps raised by their base value, so the batch is
    full whenever the pool is big enough and still spread as evenly as the pool allows. Ties keep input order; an
    item without a target counts only against its articles.
    """
    if per_target < 1 or per_article < 1:
        raise ValueError(f"caps must be >= 1, got per_target={per_target}, per_article={per_article}")
    k = min(k, len(scores))
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    picked: list[int] = []
    taken: set[int] = set()
    rounds = 1
    while len(picked) < k:
        t_count: Counter[str | None] = Counter(targets[i] for i in picked if targets[i])
        a_count: Counter[str] = Counter(a for i in picked for a in articles[i])
        t_cap, a_cap = per_target * rounds, per_article * rounds
        for i in order:
            if len(picked) == k:
                break
            if i in taken:
                continue
            t = targets[i]
            if (t and t_count[t] >= t_cap) or any(a_count[a] >= a_cap for a in articles[i]):
                continue
            picked.append(i)
            taken.add(i)
            if t:
                t_count[t] += 1
            a_count.update(articles[i])
        rounds += 1
    return picked


def pick(
    strategy: str,
    n: int,
    k: int,
    *,
    targets: Sequence[str | None],
    articles: Sequence[Sequence[str]],
    scores: Sequence[float] | None = None,
    seed: int = 13,
    per_target: int = 2,
    per_article: int = 4,
) -> list[int]:
    """Which of ``n`` pool items (by index) form a batch of ``k`` (``k <= 0``: all, in the strategy's order).

    ``scores`` is the uncertainty (``uncertainty``) or the similarity (``diverse``) of each item, higher first.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"export.select={strategy!r}: choose one of {', '.join(STRATEGIES)}")
    k = n if k <= 0 else min(k, n)
    if k == 0:
        return []
    if strategy == "first":
        return list(range(k))
    if strategy == "random":
        return sorted(random.Random(seed).sample(range(n), k))
    if scores is None or len(scores) != n:
        raise ValueError(f"export.select={strategy} needs one score per pool item ({n}), got {scores and len(scores)}")
    return capped_greedy(scores, targets, articles, k, per_target, per_article)


def pre_annotate(task: dict[str, Any], label: str, probs: Sequence[float], score: float, strategy: str) -> dict:
    """A pair task with the model's label as its prediction, the label's probability as the prediction score, and
    why it was chosen in ``data.qc_selection`` (Label Studio shows the score; the import ignores the key)."""
    p: dict[str, float] = {lab: round(float(v), 4) for lab, v in zip(LABELS, probs, strict=True)}
    for pred in task.get("predictions", []):
        pred["score"] = p[label]
    task["data"]["qc_selection"] = {"strategy": strategy, "score": round(float(score), 4), "probs": p}
    return task


# ---------------------------------------------------------------------------------------------- stage glue


@dataclass
class Selection:
    pairs: list[Pair]
    tasks: list[dict[str, Any]]
    manifest: dict[str, Any] = field(default_factory=dict)


def _model_probs(pool: Sequence[Pair], model_dir: Path) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Calibrated probabilities (columns in LABELS order) and labels of the run's model, and what the model is."""
    from quotecontra.models import load_classifier
    from quotecontra.tracking import file_digest

    if not model_dir.exists():
        raise FileNotFoundError(
            f"export.select=uncertainty needs the run's model at {model_dir} (run `quotecontra train` first), "
            "or choose export.select=diverse (no model)"
        )
    clf = load_classifier(model_dir)
    raw = clf.predict_proba([p.premise for p in pool], [p.hypothesis for p in pool])
    probs, labels = clf.decide(raw)
    cols = [list(clf.labels).index(lab) for lab in LABELS]
    info = {
        "path": str(model_dir),
        "kind": clf.kind,
        "digest": file_digest(model_dir),
        "calibrated": clf.calibration is not None,
    }
    return np.asarray(probs)[:, cols], list(labels), info


def select_tasks(
    chosen: Sequence[Pair],
    strategy: str,
    k: int,
    model_dir: Path,
    model_version: str,
    seed: int,
    per_target: int = 2,
    per_article: int = 4,
) -> Selection:
    """The pair tasks of one export: ``first`` keeps the given order; the others pick from the pairs nobody has
    labelled yet (a gold or annotated label is not asked again) and record their scores for the manifest."""
    from quotecontra.export.label_studio import pair_task

    if strategy == "first":
        picked = list(chosen[:k] if k > 0 else chosen)
        return Selection(picked, [pair_task(p, model_version) for p in picked], {"strategy": "first"})
    pool = [p for p in chosen if p.annotator == "pipeline"]
    left_out = len(chosen) - len(pool)
    targets = [p.target.lower() if p.target else None for p in pool]
    articles = [list(p.article_ids) or [p.group] for p in pool]
    probs: np.ndarray | None = None
    labels: list[str] = []
    model: dict[str, Any] | None = None
    scores: list[float] | None = None
    if strategy == "uncertainty" and pool:
        probs, labels, model = _model_probs(pool, model_dir)
        scores = entropy(probs).tolist()
    elif strategy == "diverse":
        scores = [p.similarity if p.similarity is not None else 0.0 for p in pool]
    idx = pick(
        strategy,
        len(pool),
        k,
        targets=targets,
        articles=articles,
        scores=scores,
        seed=seed,
        per_target=per_target,
        per_article=per_article,
    )
    tasks = []
    rows = []
    for i in idx:
        p = pool[i]
        if probs is not None:
            task = pair_task(p.model_copy(update={"label": labels[i]}), model_version)
            tasks.append(pre_annotate(task, labels[i], probs[i], scores[i], strategy))  # type: ignore[index]
        else:
            tasks.append(pair_task(p, model_version))
        row: dict[str, Any] = {"pair_id": p.id, "target": p.target, "article_ids": list(p.article_ids)}
        if scores is not None:
            row["score"] = round(float(scores[i]), 4)
        if probs is not None:
            row |= {"predicted": labels[i], "probability": round(float(probs[i][LABELS.index(labels[i])]), 4)}
        rows.append(row)
    manifest = {
        "strategy": strategy,
        "measure": {"uncertainty": "entropy of calibrated probabilities", "diverse": "similarity"}.get(strategy),
        "pool": len(pool),
        "left_out_labelled": left_out,
        "batch": len(idx),
        "caps": {"per_target": per_target, "per_article": per_article},
        "seed": seed if strategy == "random" else None,
        "model": model,
        "targets": len({targets[i] for i in idx if targets[i]}),
        "articles": len({a for i in idx for a in articles[i]}),
        "selected": rows,
    }
    log.info(
        "export.select=%s: %d of %d unlabelled pairs, %d targets, %d articles",
        strategy,
        len(idx),
        len(pool),
        manifest["targets"],
        manifest["articles"],
    )
    return Selection([pool[i] for i in idx], tasks, manifest)
