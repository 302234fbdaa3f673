"""An imported annotation batch in the pairs stage: its pairs join the natural pool, linked articles stay together.

Built from four gold articles (their gold quotes stand in for the pipeline's records) and one batch written the way
``import-annotations`` writes it: a gold file of one article with the annotator's records, an imported pairs file
and the import summary. Balancing is off so the build takes seconds.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from quotecontra.calibrate import group_folds
from quotecontra.gold import load_records
from quotecontra.pairs import PairsOptions, build_dataset
from quotecontra.pairs.annotations import load_batches
from quotecontra.pairs.card import render_card
from quotecontra.pairs.split import SPLITS
from quotecontra.readers import ReaderOptions, iter_articles
from quotecontra.records import Pair, write_jsonl

DEV_A, DEV_B, HELD = "biz-01-brackenford-plant-closure", "biz-02-kestrel-halvorsen-merger", "biz-04-dunmere-strike"
IMPORTED = "hs-01-clinic-closure"  # not a gold file here: its records and pairs come from the batch
WHEN = ("2026-11-30T09:00:00Z", "2026-12-01T17:30:00Z")


def _pair(pid, a, b, label, voters="ann7"):
    return Pair(
        id=pid,
        premise=f"claim of {a.id}",
        hypothesis=f"claim of {b.id}",
        label=label,
        origin="natural",
        premise_quote_id=a.id,
        hypothesis_quote_id=b.id,
        article_ids=sorted({a.article_id, b.article_id}),
        annotator=voters,
    )


def _free(g, n: int = 1):
    """The first quote pairs of a gold article that its gold file does not label (either direction)."""
    taken = {frozenset({a, b}) for a, b, _ in g.pairs}
    ids = [k for k, q in g.quotes.items() if q.spans != [(0, 1)]]
    out = [
        (g.quotes[a], g.quotes[b]) for i, a in enumerate(ids) for b in ids[i + 1 :] if frozenset({a, b}) not in taken
    ]
    return out[:n]


def _gold_file(g, drop: str) -> dict:
    """The import-annotations gold file of one article: the annotator's records (one removed) and two pairs."""
    quotes = [
        {
            "id": q.id,
            "type": q.type,
            "text": q.text,
            "speaker": [q.speaker] if q.speaker else None,
            "target": [q.target] if q.target else [],
            "spans": [list(s) for s in q.spans],
            "annotator": "ann7",
            "updated_at": WHEN[0],
        }
        for gid, q in g.quotes.items()
        if gid != drop and q.spans != [(0, 1)]
    ]
    ids = {q["id"] for q in quotes}
    pairs = [
        {"a": g.quotes[a].id, "b": g.quotes[b].id, "label": lab, "annotators": ["ann7"], "updated_at": WHEN[1]}
        for a, b, lab in g.pairs
        if g.quotes[a].id in ids and g.quotes[b].id in ids
    ][:2]
    return {
        "article": f"{g.article.id}.txt",
        "article_id": g.article.id,
        "split": "dev",
        "quotes": quotes,
        "pairs": pairs,
        "annotators": ["ann7"],
        "annotations": [{"id": 1, "annotator": "ann7", "created_at": WHEN[0], "updated_at": WHEN[0]}],
    }


@pytest.fixture(scope="module")
def built(root, nlp, tmp_path_factory):
    samples = root / "data" / "samples"
    articles = {a.id: a for a in iter_articles(samples, ReaderOptions())}
    g = {aid: load_records(root / "data" / "gold" / f"{aid}.json", articles, [samples]) for aid in (DEV_A, DEV_B, HELD)}
    assert g[HELD].split == "heldout"
    imp = load_records(root / "data" / "gold" / f"{IMPORTED}.json", articles, [samples])
    quotes = [q for x in [*g.values(), imp] for q in x.quotes.values()]
    qa, qb, qi = g[DEV_A].quotes, g[DEV_B].quotes, imp.quotes
    b_gold = g[DEV_B].pairs[0]
    rev_label = next((x for x in g[DEV_B].pairs if x[2] in {"contradiction", "neutral"}), None)
    assert rev_label is not None
    flipped = "entailment" if b_gold[2] != "entailment" else "neutral"
    imported = [
        _pair("nat:within", *_free(g[DEV_A])[0], "neutral"),
        _pair("nat:across", qa["q3"], qi["q2"], "neutral", "ann7,ann9"),
        _pair("nat:conflict", qb[b_gold[0]], qb[b_gold[1]], flipped),
        _pair("nat:reversed", qb[rev_label[1]], qb[rev_label[0]], rev_label[2]),
        _pair("nat:held", *_free(g[HELD])[0], "contradiction"),
    ]
    batch_dir = tmp_path_factory.mktemp("batch")
    drop = list(imp.quotes)[-1]
    (batch_dir / f"{IMPORTED}.json").write_text(json.dumps(_gold_file(imp, drop)))
    write_jsonl(batch_dir / "imported_pairs.jsonl", imported)
    summary = {
        "source": "exports/pairs.json",
        "counts": {"pairs_labeled": len(imported)},
        "gold_files": [str(batch_dir / f"{IMPORTED}.json")],
        "batch": {
            "split": "dev",
            "annotators": ["ann7", "ann9"],
            "first_annotation": WHEN[0],
            "last_annotation": WHEN[1],
            "pairs_file": str(batch_dir / "imported_pairs.jsonl"),
        },
    }
    (batch_dir / "import_summary.json").write_text(json.dumps(summary))
    batches = load_batches([batch_dir], articles, [samples])
    result = build_dataset(
        quotes, articles, list(g.values()), nlp, PairsOptions(encoder="tfidf", balance=False), batches
    )
    return result, batches[0], g, imp, drop


def test_imported_pairs_join_the_natural_pool(built):
    result, batch, *_ = built
    natural = {p.id: p for p in result.splits["natural"]}
    for pid in ("nat:within", "nat:across", "nat:held"):
        p = natural[pid]
        assert p.origin == "annotated" and p.annotator.startswith(f"{batch.id}:")
    assert natural["nat:across"].annotator == f"{batch.id}:ann7,ann9"
    assert natural["nat:within"].split == "natural"
    # the held-out gold article's pair only tests, though the batch itself may train
    assert natural["nat:held"].split == "heldout"
    gold_file_pairs = [p for p in natural.values() if p.id.startswith(f"ann:{IMPORTED}:")]
    assert len(gold_file_pairs) == 2 and all(p.origin == "annotated" and p.split == "natural" for p in gold_file_pairs)


def test_a_gold_file_label_wins_and_the_conflict_is_reported(built):
    result, _, g, *_ = built
    natural = {p.id for p in result.splits["natural"]}
    assert "nat:conflict" not in natural and "nat:reversed" not in natural
    a, b, _ = g[DEV_B].pairs[0]
    assert f"gold:{DEV_B}:{a}-{b}" in natural
    table = result.artifacts["annotations"]
    assert len(table["conflicts"]) == 1 and "nat:conflict" in table["conflicts"][0]
    counts = table["batches"][0]["counts"]
    assert counts["conflicts with a gold file"] == 1 and counts["same as a gold file"] == 1


def test_no_article_in_two_folds_or_splits(built):
    result, *_ = built
    natural = result.splits["natural"]
    group = {p.group for p in natural if DEV_A in p.article_ids} | {
        p.group for p in natural if IMPORTED in p.article_ids
    }
    assert group == {f"{DEV_A}+{IMPORTED}"}  # linked by nat:across
    trainable = [p for p in natural if p.split == "natural"]
    folds = group_folds([p.group for p in trainable], 3, seed=13)
    fold_of: dict[str, set[int]] = defaultdict(set)
    for p, f in zip(trainable, folds, strict=True):
        for a in p.article_ids:
            fold_of[a].add(f)
    assert fold_of and all(len(fs) == 1 for fs in fold_of.values()), dict(fold_of)
    split_of: dict[str, set[str]] = defaultdict(set)
    for s in SPLITS:
        for p in result.splits[s]:
            split_of[p.article_ids[0]].add(s)
    assert all(len(v) == 1 for v in split_of.values()), dict(split_of)
    assert split_of[DEV_A] == split_of[IMPORTED]  # one group, one split
    linked = [p for s in SPLITS for p in result.splits[s] if p.article_ids[0] in {DEV_A, IMPORTED}]
    assert linked and {p.group for p in linked} == {f"{DEV_A}+{IMPORTED}"}  # crossval leaves them out together
    assert split_of[HELD] == {"test"}
    held = {a for p in natural if p.split == "heldout" for a in p.article_ids}
    assert held and not held & set(fold_of)


def test_imported_records_replace_the_pipelines(built):
    result, _, _, imp, drop = built
    claims = {c.quote_id for c in result.claims if c.article_id == IMPORTED}
    assert claims and imp.quotes[drop].id not in claims
    # an annotated quote pair gets no pipeline label (no other_claim neutral of the same two quotes)
    annotated = {frozenset({p.premise_quote_id, p.hypothesis_quote_id}) for p in result.splits["natural"]}
    for s in SPLITS:
        for p in result.splits[s]:
            if p.origin == "other_claim":
                assert frozenset({p.premise_quote_id, p.hypothesis_quote_id}) not in annotated


def test_card_names_the_batch(built):
    result, batch, *_ = built
    card = render_card(
        result.splits, result.candidates, result.baselines, result.artifacts, result.skips, "", [], "tfidf"
    )
    section = card.split("## Annotation batches", 1)[1].split("\n## ", 1)[0]
    assert batch.id in section and batch.digest in section
    assert "ann7, ann9" in section and f"{WHEN[0]} .. {WHEN[1]}" in section
    assert "1 imported labels disagree with a gold file" in section
    assert "`annotated`" in card  # the origin table explains the origin
