"""Active selection of pair tasks (quotecontra.export.select): scores, the capped greedy pick, the stage glue."""

from __future__ import annotations

import numpy as np
import pytest

from quotecontra.export.select import capped_greedy, entropy, margin, pick, select_tasks
from quotecontra.records import LABELS, Pair


def test_entropy_and_margin_are_zero_when_sure_and_one_when_torn():
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0], [0.8, 0.1, 0.1]])
    e, m = entropy(probs), margin(probs)
    assert e[0] == pytest.approx(0.0, abs=1e-6) and e[1] == pytest.approx(1.0)
    assert m[0] == pytest.approx(0.0) and m[2] == pytest.approx(1.0)
    assert e[1] > e[2] > e[3] > e[0]


def test_uncertainty_picks_the_most_uncertain_first():
    probs = np.array([[0.9, 0.05, 0.05], [0.34, 0.33, 0.33], [0.6, 0.3, 0.1], [0.98, 0.01, 0.01], [0.45, 0.45, 0.1]])
    n = len(probs)
    idx = pick(
        "uncertainty",
        n,
        3,
        targets=[f"t{i}" for i in range(n)],
        articles=[[f"a{i}"] for i in range(n)],
        scores=entropy(probs).tolist(),
    )
    assert idx == [1, 4, 2]


def test_caps_spread_the_batch_over_targets_and_articles():
    # target A holds the four most uncertain pairs; two per target leaves room for B and C
    scores = [0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3]
    targets = ["A", "A", "A", "A", "B", "C", "C"]
    articles = [["x"], ["y"], ["z"], ["w"], ["u"], ["v"], ["v"]]
    assert capped_greedy(scores, targets, articles, 4, per_target=2, per_article=4) == [0, 1, 4, 5]
    # an article cap: a cross-article pair counts against both of its articles
    scores2 = [0.9, 0.8, 0.7, 0.6]
    arts2 = [["p", "q"], ["p"], ["q"], ["r"]]
    assert capped_greedy(scores2, [None] * 4, arts2, 3, per_target=1, per_article=1) == [0, 3, 1]


def test_caps_are_raised_only_when_the_pool_cannot_fill_the_batch():
    scores = [0.1, 0.9, 0.5, 0.7]
    picked = capped_greedy(scores, ["A"] * 4, [["x"]] * 4, 3, per_target=1, per_article=1)
    assert picked == [1, 3, 2]  # one target, one article: the batch is still full, best first


def test_first_random_and_bad_strategies():
    kw = {"targets": [None] * 10, "articles": [["a"]] * 10}
    assert pick("first", 10, 4, **kw) == [0, 1, 2, 3]
    r = pick("random", 10, 4, seed=3, **kw)
    assert r == pick("random", 10, 4, seed=3, **kw) and len(set(r)) == 4 and r != pick("random", 10, 4, seed=4, **kw)
    assert pick("first", 10, 0, **kw) == list(range(10))  # 0: all
    with pytest.raises(ValueError, match=r"export\.select='best'"):
        pick("best", 10, 4, **kw)
    with pytest.raises(ValueError, match="needs one score per pool item"):
        pick("diverse", 10, 4, **kw)


def _pairs() -> list[Pair]:
    texts = [
        ("The plant will reopen in March.", "The plant will stay closed for good."),
        ("The clinic will close in March.", "The clinic will stay open."),
        ("Profits rose by ten percent.", "Profits fell sharply."),
        ("The vote was close.", "Nobody expected the vote to be this close."),
        ("The bridge will cost 48 million.", "The bridge is the largest investment in a generation."),
        ("The strike will end on Monday.", "The union said the strike continues."),
    ]
    out = []
    for i, (a, b) in enumerate(texts):
        out.append(
            Pair(
                id=f"nat:{i}",
                premise=a,
                hypothesis=b,
                origin="natural",
                premise_quote_id=f"art{i % 3}:0-{i + 1}",
                hypothesis_quote_id=f"art{i % 3}:5-{i + 9}",
                article_ids=[f"art{i % 3}"],
                group=f"art{i % 3}",
                target=f"topic {i % 2}",
                similarity=0.9 - i / 10,
                annotator="gold" if i == 5 else "pipeline",
                label="contradiction" if i == 5 else None,
            )
        )
    return out


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A TF-IDF pair model fitted on 24 toy pairs (well under a second), saved as the train stage saves it."""
    from quotecontra.models import fit_sklearn

    prem = [f"The plan {w} be ready" for w in ("will", "will not", "may")] * 8
    hyp = [f"The plan is {w}" for w in ("ready", "late", "unclear")] * 8
    labels = [LABELS[i % 3] for i in range(24)]
    mcfg = {"kind": "tfidf", "tfidf_max_features": 500, "tfidf_c": 1.0}
    clf = fit_sklearn(mcfg, prem, hyp, labels, seed=13)
    out = tmp_path_factory.mktemp("model") / "model"
    clf.save(out)
    return out


def test_select_tasks_with_a_model_pre_annotates_and_records_the_pick(tiny_model):
    pairs = _pairs()
    sel = select_tasks(pairs, "uncertainty", 3, tiny_model, "qc-test", seed=13, per_target=2, per_article=4)
    assert len(sel.tasks) == len(sel.pairs) == 3
    assert "nat:5" not in {p.id for p in sel.pairs}  # a labelled pair is not asked again
    m = sel.manifest
    assert m["strategy"] == "uncertainty" and m["pool"] == 5 and m["left_out_labelled"] == 1
    assert m["model"]["kind"] == "tfidf" and m["model"]["digest"]
    scores = [r["score"] for r in m["selected"]]
    assert scores == sorted(scores, reverse=True)
    for task, row in zip(sel.tasks, m["selected"], strict=True):
        pred = task["predictions"][0]
        assert pred["result"][0]["value"]["choices"] == [row["predicted"]]
        assert pred["score"] == row["probability"] == task["data"]["qc_selection"]["probs"][row["predicted"]]
        assert task["data"]["predicted_label"] == row["predicted"]


def test_select_tasks_first_keeps_the_old_behaviour_and_uncertainty_needs_a_model(tmp_path):
    pairs = _pairs()
    sel = select_tasks(pairs, "first", 2, tmp_path / "nope", "qc", seed=13)
    assert [p.id for p in sel.pairs] == ["nat:0", "nat:1"] and sel.manifest == {"strategy": "first"}
    with pytest.raises(FileNotFoundError, match=r"export\.select=uncertainty needs the run's model"):
        select_tasks(pairs, "uncertainty", 2, tmp_path / "nope", "qc", seed=13)
    div = select_tasks(pairs, "diverse", 3, tmp_path / "nope", "qc", seed=13, per_target=1, per_article=1)
    assert [p.id for p in div.pairs] == ["nat:0", "nat:1", "nat:2"]  # most similar, one per article first
