"""The active-loop benchmark's bookkeeping: article splits and the per-round comparison of strategies."""

from __future__ import annotations

import pytest

from quotecontra.benchmarks.active_loop import split_articles, summarise


def test_split_articles_is_seeded_disjoint_and_never_empty():
    groups = [f"a{i}" for i in range(10) for _ in range(3)]
    pool, test = split_articles(groups, 0.3, seed=1)
    assert pool | test == {f"a{i}" for i in range(10)} and not pool & test and len(test) == 3
    assert split_articles(groups, 0.3, seed=1) == (pool, test) != split_articles(groups, 0.3, seed=2)
    assert len(split_articles(["x", "y"], 0.9, seed=0)[0]) == 1
    with pytest.raises(ValueError, match="at least 2 articles"):
        split_articles(["x", "x"], 0.3, seed=0)


def test_summarise_compares_uncertainty_with_random_round_by_round():
    def seed(u, r):
        bought = [{"contradiction": 6, "neutral": 2}] * (len(u) - 1)
        return {
            "uncertainty": {"macro_f1": u, "heldout_macro_f1": u, "labels_per_round": bought},
            "random": {"macro_f1": r, "heldout_macro_f1": r, "labels_per_round": bought},
        }

    per_seed = [seed([0.3, 0.5, 0.6], [0.3, 0.4, 0.6]), seed([0.3, 0.45, 0.7], [0.3, 0.5, 0.6])]
    s = summarise(per_seed, ("uncertainty", "random"), k=8)
    assert s["curves"]["uncertainty"]["labels"] == [0, 8, 16]
    assert s["curves"]["uncertainty"]["mean"] == pytest.approx([0.3, 0.475, 0.65])
    assert s["curves"]["random"]["bought_label_share"] == {"contradiction": 0.75, "neutral": 0.25}
    d = s["uncertainty_minus_random"]
    assert d["mean"] == pytest.approx([0.0, 0.025, 0.05]) and d["seeds_ge"] == [2, 1, 2]
    assert s["uncertainty_ge_random_every_round"] is True
    worse = summarise([seed([0.3, 0.3], [0.3, 0.4])], ("uncertainty", "random"), k=8)
    assert worse["uncertainty_ge_random_every_round"] is False
