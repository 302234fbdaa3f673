"""Merging annotation batches into the natural pool: one label per quote pair, linked articles in one group.

The rules (see :mod:`quotecontra.pairs.annotations` for where batches come from): a gold file of
``pairs.gold_dirs`` is the adjudicated reference, so an imported label that disagrees with it is reported and left
out; among batches, listed oldest first, a later batch's label for a quote pair replaces an earlier one's; the
pipeline's own labels for the quote pair (an ``other_claim`` neutral, a candidate's) give way to the annotators'.
Articles joined by a cross-article pair form one group, so no article is in two folds or splits, and a group with
a held-out article is held out as a whole.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quotecontra.pairs.annotations import ORIGIN, AnnotationBatch, article_of
from quotecontra.pairs.natural import gold_pairs
from quotecontra.pairs.split import pair_key
from quotecontra.records import Pair, Quote

log = logging.getLogger(__name__)
__all__ = [
    "Merged",
    "article_groups",
    "batch_table",
    "label_candidates",
    "lineage_metrics",
    "lineage_params",
    "lineage_summary",
    "merge_natural",
    "regroup",
    "replace_quotes",
    "write_lineage",
]

SYMMETRIC = frozenset({"contradiction", "neutral"})


def replace_quotes(quotes: Sequence[Quote], batches: Sequence[AnnotationBatch]) -> tuple[list[Quote], set[str]]:
    """The pipeline's records with those of every article an imported gold file covers replaced (later batch wins)."""
    by_article: dict[str, list[Quote]] = {}
    for b in batches:
        for g in b.gold:
            by_article[g.article.id] = list(g.quotes.values())
    kept = [q for q in quotes if q.article_id not in by_article]
    return kept + [q for qs in by_article.values() for q in qs], set(by_article)


def _key(p: Pair) -> tuple[str, str]:
    if p.premise_quote_id and p.hypothesis_quote_id:
        return p.premise_quote_id, p.hypothesis_quote_id
    return pair_key(p.premise, p.hypothesis)


def _same_item(a: Pair, b: Pair) -> bool:
    """Do two labelled pairs of one quote pair make one claim? Same direction always; reversed when symmetric."""
    if _key(a) == _key(b):
        return True
    if _key(a) != _key(b)[::-1]:
        return False
    # contradiction holds both ways, and so does neutral in this dataset; entailment does not
    return (a.label == b.label and a.label in SYMMETRIC) or (
        a.label != b.label and "contradiction" in {a.label, b.label}
    )


class _Index:
    """Pairs by quote pair, for finding the one a new pair repeats (same direction, or reversed when symmetric)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], list[Pair]] = defaultdict(list)

    def find(self, p: Pair) -> Pair | None:
        k = _key(p)
        for cand in (*self.by_key.get(k, []), *self.by_key.get(k[::-1], [])):
            if _same_item(cand, p):
                return cand
        return None

    def add(self, p: Pair) -> None:
        self.by_key[_key(p)].append(p)

    def remove(self, p: Pair) -> None:
        self.by_key[_key(p)] = [x for x in self.by_key[_key(p)] if x is not p]


@dataclass
class Merged:
    natural: list[Pair]  # gold-file pairs then imported ones, with the group and split they end up in
    group_of: dict[str, str]  # article id -> group (articles linked by a natural pair share one)
    heldout_groups: set[str]
    conflicts: list[str]
    counts: Counter[str]
    per_batch: dict[str, Counter[str]]


def _batch_pairs(b: AnnotationBatch, claims_of: Mapping[str, Any]) -> list[Pair]:
    """The batch's labelled pairs: gold-file pairs (texts from the imported quotes' claims), then the pairs files'
    and the gold files' extra pairs (texts as the annotators saw them), so a pairs-file record wins within a batch."""
    out = []
    for g in b.gold:
        for p in gold_pairs(g, claims_of):
            who = b.voters.get((p.premise_quote_id or "", p.hypothesis_quote_id or ""), "")
            out.append(p.model_copy(update={"id": p.id.replace("gold:", "ann:", 1), "annotator": who}))
    return out + list(b.extra_pairs) + list(b.pairs)


def _stamp(p: Pair, b: AnnotationBatch) -> Pair:
    arts = list(p.article_ids) or sorted(
        {a for a in (article_of(p.premise_quote_id), article_of(p.hypothesis_quote_id)) if a}
    )
    voters = p.annotator if p.annotator not in {"", "pipeline", "gold"} else ",".join(b.annotators)
    return p.model_copy(
        update={
            "origin": ORIGIN,
            "article_ids": arts,
            "split": "heldout" if b.split == "heldout" else "natural",
            "annotator": f"{b.id}:{voters}",
        }
    )


def merge_natural(
    gold: Sequence[Pair],
    batches: Sequence[AnnotationBatch],
    claims_of: Mapping[str, Any],
    heldout_articles: Iterable[str] = (),
) -> Merged:
    """Gold-file pairs plus the batches' pairs, one label per quote pair, grouped and split by linked articles.

    ``claims_of`` maps quote ids to claims (to word the gold-file pairs of imported gold files); articles in
    ``heldout_articles`` (held-out gold files) make every natural pair linked to them held out too.
    """
    counts: Counter[str] = Counter()
    per_batch: dict[str, Counter[str]] = {b.id: Counter() for b in batches}
    conflicts: list[str] = []
    gold_idx = _Index()
    for p in gold:
        gold_idx.add(p)
    chosen = _Index()
    order: list[Pair] = []
    from_batch: dict[int, str] = {}
    for b in batches:
        c = per_batch[b.id]
        for raw in _batch_pairs(b, claims_of):
            p = _stamp(raw, b)
            if not p.article_ids:
                c["no article"] += 1
                continue
            c["read"] += 1
            g = gold_idx.find(p)
            if g is not None:
                if g.label == p.label:
                    c["same as a gold file"] += 1
                else:
                    c["conflicts with a gold file"] += 1
                    conflicts.append(
                        f"batch {b.id}: pair {p.id} labelled {p.label} ({p.annotator}), but gold pair {g.id} says "
                        f"{g.label}: the gold file's label is kept"
                    )
                continue
            prev = chosen.find(p)
            if prev is not None:
                chosen.remove(prev)
                order = [x for x in order if x is not prev]
                if from_batch.get(id(prev)) != b.id:
                    c[
                        "replaced an earlier batch's label" if prev.label != p.label else "repeated an earlier batch"
                    ] += 1
                else:
                    c["repeated within the batch"] += 1
            chosen.add(p)
            order.append(p)
            from_batch[id(p)] = b.id
    for b in batches:
        per_batch[b.id]["kept"] = sum(1 for p in order if from_batch[id(p)] == b.id)
    natural = list(gold) + order
    group_of = article_groups(natural)
    held = {group_of.get(a, a) for a in heldout_articles}
    held |= {group_of[p.article_ids[0]] for p in natural if p.split == "heldout" and p.article_ids}
    out = []
    for p in natural:
        grp = group_of[p.article_ids[0]] if p.article_ids else p.group
        split = "heldout" if grp in held else p.split
        if split != p.split:
            counts["held out with a linked held-out article"] += 1
        out.append(p.model_copy(update={"group": grp, "split": split}))
    counts["imported"] = len(order)
    sizes = Counter(group_of.values())
    counts["largest group (articles)"] = max(sizes.values(), default=1)
    counts["conflicts"] = len(conflicts)
    for msg in conflicts:
        log.warning("pairs.annotations: %s", msg)
    return Merged(out, group_of, held, conflicts, counts, per_batch)


def article_groups(pairs: Sequence[Pair]) -> dict[str, str]:
    """Article id -> group: articles joined by a pair (union-find), named by their sorted ids joined with '+'."""
    parent: dict[str, str] = {}

    def root(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in pairs:
        arts = list(p.article_ids) or ([p.group] if p.group else [])
        for a in arts:
            root(a)
        for a, b in itertools.pairwise(arts):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = defaultdict(list)
    for a in parent:
        members[root(a)].append(a)
    return {a: "+".join(sorted(ms)) for ms in members.values() for a in ms}


def regroup(pairs: Sequence[Pair], group_of: Mapping[str, str]) -> list[Pair]:
    """Synthetic pairs moved into the group of their article, so linked articles share one split and fold."""
    return [
        p if group_of.get(p.group, p.group) == p.group else p.model_copy(update={"group": group_of[p.group]})
        for p in pairs
    ]


def label_candidates(candidates: Sequence[Pair], natural: Sequence[Pair]) -> list[Pair]:
    """Candidates carry the label of their natural pair (gold or annotated); symmetric labels hold reversed too."""
    labelled = {(p.premise_quote_id, p.hypothesis_quote_id): p for p in natural}
    out = []
    for c in candidates:
        hit = labelled.get((c.premise_quote_id, c.hypothesis_quote_id))
        rev = labelled.get((c.hypothesis_quote_id, c.premise_quote_id))
        if hit is None and rev is not None and rev.label in SYMMETRIC:
            hit = rev
        out.append(c if hit is None else c.model_copy(update={"label": hit.label, "annotator": hit.annotator}))
    return out


# ---------------------------------------------------------------------------------------------- lineage


def batch_table(batches: Sequence[AnnotationBatch], merged: Merged, replaced_articles: Iterable[str]) -> dict[str, Any]:
    """What the card, pairs/annotations.json and MLflow say about the batches."""
    replaced = set(replaced_articles)
    rows = []
    for b in batches:
        c = merged.per_batch.get(b.id, Counter())
        mine = [p for p in merged.natural if p.annotator.startswith(f"{b.id}:")]
        rows.append(
            {
                "batch": b.id,
                "path": b.path,
                "digest": b.digest,
                "files": b.files,
                "source": b.source,
                "split": b.split,
                "annotators": b.annotators,
                "first_annotation": b.first,
                "last_annotation": b.last,
                "gold_files": len(b.gold),
                "articles_replaced": sorted(g.article.id for g in b.gold if g.article.id in replaced),
                "pairs_read": c.get("read", 0),
                "pairs_kept": len(mine),
                "pairs_by_split": dict(Counter(p.split for p in mine)),
                "counts": dict(c),
                "skipped": b.skipped,
                "pair_ids": [p.id for p in mine],
            }
        )
    return {"batches": rows, "conflicts": merged.conflicts, "counts": dict(merged.counts)}


def lineage_params(table: Mapping[str, Any]) -> dict[str, str]:
    """One MLflow param per batch: path, digest, annotators, time range, pairs kept."""
    out = {}
    for r in table.get("batches", []):
        out[f"annotations.{r['batch']}"] = (
            f"{r['path']} sha256:{r['digest']} annotators={','.join(r['annotators']) or '-'} "
            f"time={r['first_annotation'] or '?'}..{r['last_annotation'] or '?'} split={r['split']} "
            f"pairs={r['pairs_kept']}"
        )
    return out


def lineage_metrics(table: Mapping[str, Any]) -> dict[str, float]:
    """Stage metrics: batches, imported pairs kept, conflicts with gold files, pairs held out with a linked article."""
    c = table.get("counts", {})
    return {
        "annotations/batches": float(len(table.get("batches", []))),
        "annotations/pairs": float(c.get("imported", 0)),
        "annotations/conflicts": float(c.get("conflicts", 0)),
        "annotations/held_out_by_link": float(c.get("held out with a linked held-out article", 0)),
        "annotations/largest_group": float(c.get("largest group (articles)", 1)),
    }


def lineage_summary(table: Mapping[str, Any]) -> str:
    rows = table.get("batches", [])
    c = table.get("counts", {})
    each = "; ".join(
        f"{r['batch']} ({r['path']}): {r['pairs_kept']} pairs, {len(r['articles_replaced'])} articles' records"
        for r in rows
    )
    return (
        f"annotations: {len(rows)} batches, {c.get('imported', 0)} pairs in the natural pool, "
        f"{c.get('conflicts', 0)} conflicts with gold files: {each}"
    )


def write_lineage(path: Path, table: Mapping[str, Any] | None) -> Path | None:
    """pairs/annotations.json: the batch table with the ids of the pairs each batch gave; removed without batches."""
    if not table:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
