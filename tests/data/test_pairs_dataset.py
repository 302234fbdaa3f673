"""The pairs dataset built from the sample corpus: group splits, balance, gold pairs, schema, no duplicates.

Quote records come from the gold files (data/gold + the seed), with spans found in the articles, so the test
does not depend on the annotate stage's recall. Built once per module (spaCy + the adversarial filter, ~20 s).
"""

from __future__ import annotations

from collections import Counter

import pytest

from quotecontra.gold import gold_files, load_records
from quotecontra.pairs import PairsOptions, build_dataset
from quotecontra.pairs.split import SPLITS, assign_splits, dedup, pair_key
from quotecontra.readers import ReaderOptions, iter_articles
from quotecontra.records import LABELS, Pair


@pytest.fixture(scope="module")
def built(root, shared_dir, nlp):
    articles = {a.id: a for a in iter_articles(root / "data" / "samples", ReaderOptions())}
    gold = [
        load_records(f, articles, [root / "data" / "samples"])
        for f in gold_files([root / "data" / "gold", shared_dir / "seed" / "gold.json"])
    ]
    assert len(gold) >= 13, "the sample corpus gold files (data/gold) are missing"
    articles |= {g.article.id: g.article for g in gold}
    quotes = [q for g in gold for q in g.quotes.values()]
    result = build_dataset(quotes, articles, gold, nlp, PairsOptions(encoder="tfidf"))
    return result, gold


def test_no_article_in_two_splits(built):
    result, _ = built
    seen: dict[str, str] = {}
    for s in SPLITS:
        for p in result.splits[s]:
            assert seen.setdefault(p.group, s) == s, f"article {p.group} in {seen[p.group]} and {s}"
            assert p.article_ids == [p.group] and p.split == s


def test_perturbations_of_a_claim_stay_together(built):
    result, _ = built
    where: dict[str, set[str]] = {}
    for s in SPLITS:
        for p in result.splits[s]:
            for qid in (p.premise_quote_id, p.hypothesis_quote_id):
                where.setdefault(qid, set()).add(s)
    assert all(len(v) == 1 for v in where.values())


def test_labels_balanced(built):
    result, _ = built
    for s in SPLITS:
        counts = Counter(p.label for p in result.splits[s])
        n = sum(counts.values())
        assert n > 0
        assert all(counts[lab] / n >= 0.25 for lab in LABELS), (s, counts)


def test_every_gold_pair_in_natural_with_its_label(built):
    result, gold = built
    natural = {p.id: p for p in result.splits["natural"]}
    n = 0
    for g in gold:
        for a, b, label in g.pairs:
            p = natural[f"gold:{g.article.id}:{a}-{b}"]
            # held-out gold only ever tests; the rest may train (cross-validated by article)
            assert p.label == label and p.origin == "gold"
            assert p.split == ("heldout" if g.split == "heldout" else "natural")
            assert (p.premise_quote_id, p.hypothesis_quote_id) == (g.quotes[a].id, g.quotes[b].id)
            n += 1
    assert n == len(natural) > 0


def test_heldout_gold_never_trains(built):
    from quotecontra.train import natural_training_rows

    result, gold = built
    heldout = {g.article.id for g in gold if g.split == "heldout"}
    assert heldout, "the repo's gold marks some articles heldout"
    rows = [p.model_dump() for p in result.splits["natural"]]
    trained = natural_training_rows(rows, repeat=1)
    assert trained and not {r["group"] for r in trained} & heldout
    # and no synthetic training pair comes from a held-out article either
    assert not {p.group for p in result.splits["train"]} & heldout


def test_no_duplicates_and_no_gold_leak(built):
    result, _ = built
    keys = [pair_key(p.premise, p.hypothesis) for s in SPLITS for p in result.splits[s]]
    assert len(keys) == len(set(keys))
    assert all(k[0] != k[1] for k in keys)
    gold_keys = {pair_key(p.premise, p.hypothesis) for p in result.splits["natural"]}
    assert not gold_keys & set(keys)


def test_schema_valid(built):
    result, _ = built
    for s, pairs in result.splits.items():
        for p in pairs:
            Pair.model_validate(p.model_dump())
            assert p.split == s or (s == "natural" and p.split == "heldout")
            assert p.label in LABELS
    for p in result.candidates:
        Pair.model_validate(p.model_dump())
        assert p.origin == "natural" and p.split is None


def test_shortcut_baselines_near_majority(built):
    result, _ = built
    b = result.baselines
    assert b["hypothesis_only"] - b["majority"] <= 0.10
    assert b["overlap_only"] - b["majority"] <= 0.10


def test_assign_splits_keeps_groups_whole_and_follows_ratios():
    sizes = {f"art{i}": 10 for i in range(20)}
    out = assign_splits(sizes, [0.7, 0.15, 0.15], seed=1, force={"art3": "test"})
    assert set(out) == set(sizes) and out["art3"] == "test"
    share = Counter(out.values())
    assert share["train"] == 14 and share["dev"] == 3 and share["test"] == 3
    assert assign_splits(sizes, [0.7, 0.15, 0.15], seed=1) == assign_splits(sizes, [0.7, 0.15, 0.15], seed=1)


def test_dedup_drops_near_duplicates_and_conflicts():
    def mk(i, p, h, label):
        return Pair(id=str(i), premise=p, hypothesis=h, label=label, origin="negation", group="g")

    pairs = [
        mk(1, "The plan passed.", "The plan did not pass.", "contradiction"),
        mk(2, "the plan passed", "The plan did not pass!", "contradiction"),  # near-duplicate
        mk(3, "A b c.", "A b d.", "entailment"),
        mk(4, "A b c.", "A b d.", "neutral"),  # same pair, other label: untrustworthy
        mk(5, "Same.", "same", "entailment"),
    ]
    kept, dropped = dedup(pairs)
    assert [p.id for p in kept] == ["1"] and dropped == 4
