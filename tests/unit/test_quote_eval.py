"""Quote evaluation: token matching, one-to-one assignment, thresholds, optional gold, aliases, per-type scores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from quotecontra.quote_eval import (
    GoldArticle,
    GoldQuote,
    coverage,
    cue_matches,
    jaccard,
    load_gold,
    match,
    metrics_of,
    normalize_text,
    score_article,
    score_quotes,
    speaker_matches,
    stem,
    target_matches,
    tokenize,
)
from quotecontra.records import Quote, write_jsonl


def gq(
    qid: str,
    text: str,
    qtype: str = "direct",
    speaker=("Jane Doe", "Doe"),
    cue="said",
    target=("budget",),
    required: bool = True,
    pieces: tuple[str, ...] = (),
) -> GoldQuote:
    return GoldQuote(qid, text, qtype, tuple(speaker) if speaker else None, cue, tuple(target), required, pieces)


def pq(
    text: str,
    qtype: str = "direct",
    speaker: str | None = "Jane Doe",
    cue: str | None = "said",
    target: str | None = "budget",
    article: str = "a1",
    n: int = 0,
) -> Quote:
    return Quote(
        id=f"{article}:{n}",
        article_id=article,
        text=text,
        type=qtype,
        speaker=speaker,
        cue=cue,
        target=target,
        spans=[(n * 10, n * 10 + 5)],
    )


def article(quotes: list[GoldQuote], group: str = "dev", aid: str = "a1") -> GoldArticle:
    return GoldArticle(Path(f"{aid}.json"), aid, Path(f"{aid}.txt"), "", group, quotes)


# --- normalisation and token scores ------------------------------------------------------------------------------


def test_normalisation_equates_curly_and_straight_marks():
    assert normalize_text("“It’s  done,”\n she said") == '"It\'s done," she said'
    assert tokenize("“It’s done,” she said.") == tokenize('"It\'s DONE," she said')
    assert tokenize("Ukraine—all of Ukraine,") == ["ukraine", "all", "of", "ukraine"]


def test_coverage_is_share_of_gold_tokens_and_jaccard_is_symmetric():
    gold = tokenize("the plan will be ready by May")
    assert coverage(tokenize("the plan will be ready"), gold) == pytest.approx(5 / 7)
    assert coverage(tokenize("he said the plan will be ready by May today"), gold) == 1.0
    assert jaccard(tokenize("the plan will be ready"), gold) == pytest.approx(5 / 7)
    assert jaccard(tokenize("he said the plan will be ready by May"), gold) == pytest.approx(7 / 9)
    # multiset: a repeated word counts once per occurrence in gold
    assert coverage(["no", "no"], ["no", "no", "no", "way"]) == pytest.approx(2 / 4)


# --- matching -----------------------------------------------------------------------------------------------------


def test_matching_is_one_to_one_and_prefers_the_better_pair():
    scores = np.array([[0.9, 0.6], [0.95, 0.0]])
    m = match(scores, [True, True], 0.5)
    # Hungarian: pred1->gold0 and pred0->gold1 (total 1.55) beats pred0->gold0 alone
    assert sorted(m.pairs) == [(0, 1), (1, 0)]
    assert m.false_pos == [] and m.false_neg == []


def test_duplicate_prediction_is_a_false_positive():
    gold = article([gq("q1", "We will not raise taxes this year")])
    t = score_article([pq("We will not raise taxes this year", n=0), pq("We will not raise taxes", n=1)], gold)
    s = t.summary()["quote"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 0)


def test_threshold_decides_partial_matches():
    gold = article([gq("q1", "one two three four five six seven eight nine ten")])
    pred = [pq("one two three four five six")]  # covers 60% of the gold quote
    assert score_article(pred, gold, threshold=0.5).summary()["quote"]["tp"] == 1
    low = score_article(pred, gold, threshold=0.7).summary()["quote"]
    assert (low["tp"], low["fp"], low["fn"]) == (0, 1, 1)
    assert score_article(pred, gold, threshold=0.5).summary()["quote_exact"]["tp"] == 0


def test_optional_gold_is_neither_rewarded_nor_penalised():
    gold = article(
        [gq("q1", "we will build the bridge next spring"), gq("q2", "root causes", qtype="mixed", required=False)]
    )
    hit_optional = score_article([pq("we will build the bridge next spring"), pq("root causes", n=1)], gold)
    s = hit_optional.summary()["quote"]
    assert (s["tp"], s["fp"], s["fn"], s["ignored"]) == (1, 0, 0, 1)
    assert s["p"] == 1.0 and s["r"] == 1.0
    miss_optional = score_article([pq("we will build the bridge next spring")], gold).summary()["quote"]
    assert miss_optional["r"] == 1.0 and miss_optional["fn"] == 0


def test_split_quote_pieces_are_joined():
    g = gq("q1", "The plan will be ready by May.", pieces=("The plan", "will be ready by May."))
    t = score_article([pq("The plan will be ready by May.")], article([g])).summary()
    assert t["quote_exact"]["tp"] == 1


# --- attribute matching -------------------------------------------------------------------------------------------


def test_speaker_aliases_and_null_speaker():
    aliases = ["Donald Trump", "Trump"]
    assert speaker_matches("Trump", aliases)
    assert speaker_matches("donald  trump", aliases)
    assert speaker_matches("President Donald Trump", aliases)  # ends in the listed surname alias
    assert not speaker_matches("Melania", aliases)
    assert not speaker_matches(None, aliases)
    assert speaker_matches(None, None)
    assert not speaker_matches("Trump", None)
    assert speaker_matches("the Kremlin", ["Kremlin", "Moscow"])
    # the surname rule needs the surname alias listed
    assert not speaker_matches("Mr. Graham", ["Thomas Graham"])


def test_cue_lemma_and_stem():
    assert stem("said") == stem("says") == stem("say")
    assert stem("insisted") == stem("insisting") == stem("insists")
    assert stem("argued") == stem("argues") == stem("arguing")
    assert stem("admitted") == stem("admits")
    assert cue_matches("Told", "told") and cue_matches("tells", "told")
    assert cue_matches("claims", "claimed") and cue_matches("According to", "according to")
    assert not cue_matches("denied", "said") and not cue_matches(None, "said")


def test_target_alias_or_containment():
    aliases = ["European peacekeepers", "European troops"]
    assert target_matches("european troops", aliases)
    assert target_matches("European troops in Ukraine", aliases)
    assert target_matches("peacekeepers", aliases)
    assert not target_matches("Ukraine", aliases)
    assert not target_matches("troop", aliases)  # whole words only
    assert not target_matches(None, aliases)


def test_attribute_accuracy_counts_only_matched_quotes():
    gold = article([gq("q1", "taxes will fall next year"), gq("q2", "the bridge is safe", speaker=None)])
    preds = [
        pq("taxes will fall next year", speaker="Doe", cue="says", target="the budget"),
        pq("the bridge is safe", speaker="Jane Doe", cue="stated", target="roads", n=1),
        pq("something nobody said at all", n=2),
    ]
    s = score_article(preds, gold).summary()
    assert s["speaker"] == {"acc": 0.5, "correct": 1, "n": 2}
    assert s["cue"]["acc"] == 0.5
    assert s["target"]["acc"] == 0.5


def test_per_type_scores():
    gold = article([gq("q1", "alpha beta gamma delta"), gq("q2", "the council will vote on Monday", qtype="indirect")])
    preds = [
        pq("alpha beta gamma delta", qtype="direct"),
        pq("an unrelated claim about the weather", qtype="indirect", n=1),
    ]
    per = score_article(preds, gold).summary()["per_type"]
    assert per["direct"]["p"] == 1.0 and per["direct"]["r"] == 1.0
    assert per["indirect"]["p"] == 0.0 and per["indirect"]["r"] == 0.0
    assert per["indirect"]["n_gold"] == 1 and per["indirect"]["n_pred"] == 1


def test_groups_and_flat_metric_keys():
    dev, held = article([gq("q1", "alpha beta gamma")], "dev", "a1"), article([gq("q1", "delta eps")], "heldout", "a2")
    res = score_quotes([pq("alpha beta gamma"), pq("zzz yyy", article="a2"), pq("x", article="other")], [dev, held])
    assert res["groups"]["dev"]["quote"]["f1"] == 1.0
    assert res["groups"]["heldout"]["quote"]["f1"] == 0.0
    assert res["unscored_predictions"] == 1
    m = metrics_of(res)
    assert m["quote.f1"] == pytest.approx(0.5)
    assert m["dev.quote.f1"] == 1.0 and m["heldout.quote.f1"] == 0.0
    assert {"speaker.acc", "cue.acc", "target.acc", "per_type.direct.f1", "quote_exact.f1"} <= set(m)


# --- real gold: perfect and perturbed predictions ----------------------------------------------------------------


def gold_as_predictions(gold: list[GoldArticle]) -> list[Quote]:
    out = []
    for g in gold:
        for i, q in enumerate(g.quotes):
            out.append(
                Quote(
                    id=f"{g.article_id}:{i}",
                    article_id=g.article_id,
                    text=" ".join(q.pieces) or q.text,
                    type=q.type,
                    speaker=q.speaker[0] if q.speaker else None,
                    cue=q.cue,
                    target=q.target[0] if q.target else None,
                    spans=[(i, i + 1)],
                )
            )
    return out


@pytest.fixture(scope="module")
def seed_gold(shared_dir: Path) -> list[GoldArticle]:
    return load_gold(shared_dir / "seed" / "gold.json")


@pytest.fixture(scope="module")
def seed_raw(shared_dir: Path) -> list[dict]:
    """The seed gold's quote entries read as plain JSON, without quote_eval: the counts the tests expect."""
    return json.loads((shared_dir / "seed" / "gold.json").read_text(encoding="utf-8"))["quotes"]


def _n_optional(raw: list[dict]) -> int:
    return sum(q.get("required", True) is False for q in raw)


def _coverage_by_hand(pred: str, gold: str) -> float:
    """Share of the gold's words that the prediction has, each counted as often as it occurs in both: a plain
    rewrite of the metric (ASCII words, lower case, curly apostrophes straightened), for the expected counts."""
    from collections import Counter

    def words(text: str) -> Counter:
        return Counter(re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower().replace("\u2019", "'")))

    g, p = words(gold), words(pred)
    return sum((g & p).values()) / sum(g.values())


def test_seed_gold_loads_with_article_beside_it(seed_gold, seed_raw):
    (g,) = seed_gold
    assert g.group == "seed" and g.article_id == "article"
    assert [q.id for q in g.quotes] == [str(q["id"]) for q in seed_raw]
    assert [q.required for q in g.quotes] == [q.get("required", True) is not False for q in seed_raw]
    assert sum(not q.required for q in g.quotes) == _n_optional(seed_raw) > 0
    # straight apostrophes in the gold, curly ones in the article (and a split quote without pieces): every gold
    # word is found in the article once both are normalised and tokenised
    article_tokens = tokenize(g.article_text)
    assert all(coverage(article_tokens, q.tokens) == 1.0 for q in g.quotes)
    assert "'" in g.quotes[13].text and "\u2019" in g.article_text


def test_perfect_predictions_score_one(seed_gold, seed_raw):
    res = score_quotes(gold_as_predictions(seed_gold), seed_gold)
    a = res["all"]
    n_required = len(seed_raw) - _n_optional(seed_raw)
    for key in ("quote", "quote_exact", "quote_jaccard"):
        assert a[key]["f1"] == 1.0
        assert (a[key]["tp"], a[key]["fp"], a[key]["fn"]) == (n_required, 0, 0)
        assert a[key]["ignored"] == _n_optional(seed_raw)  # the optional quotes, predicted, count for nothing
    assert a["speaker"]["acc"] == a["cue"]["acc"] == a["target"]["acc"] == a["type"]["acc"] == 1.0
    assert res["groups"]["seed"]["quote"]["f1"] == 1.0


def test_perturbed_predictions_lose_what_was_perturbed(seed_gold):
    preds = gold_as_predictions(seed_gold)
    required = [p for p, q in zip(preds, seed_gold[0].quotes, strict=True) if q.required]
    kept = required[::2]  # drop every other required quote
    res = score_quotes(kept, seed_gold)["all"]["quote"]
    assert res["p"] == 1.0 and res["r"] == pytest.approx(len(kept) / len(required))

    wrong = [p.model_copy(update={"speaker": "Someone Else", "cue": "denied"}) for p in required]
    a = score_quotes(wrong, seed_gold)["all"]
    assert a["quote"]["f1"] == 1.0 and a["speaker"]["acc"] == 0.0 and a["cue"]["acc"] == 0.0

    # Every quote with words added after it: it covers the whole gold quote (a coverage match) but is no exact one.
    longer = [p.model_copy(update={"text": f"{p.text} and she said so again today"}) for p in required]
    a = score_quotes(longer, seed_gold)["all"]
    assert (a["quote"]["tp"], a["quote_exact"]["tp"], a["quote_exact"]["fn"]) == (len(required), 0, len(required))

    # Every quote cut to its first half (rounded up) of words: the expected matches come from the coverage
    # worked out here, at 0.5 and at a threshold equal to one of the coverages (a match at exactly the threshold).
    halves = [" ".join(p.text.split()[: (len(p.text.split()) + 1) // 2]) for p in required]
    gold_texts = [" ".join(q.pieces) or q.text for q in seed_gold[0].quotes if q.required]
    cov = [_coverage_by_hand(h, g) for h, g in zip(halves, gold_texts, strict=True)]
    truncated = [p.model_copy(update={"text": h}) for p, h in zip(required, halves, strict=True)]
    at_threshold = sorted(cov)[len(cov) // 2]
    for thr in (0.5, at_threshold):
        t = score_quotes(truncated, seed_gold, threshold=thr)["all"]
        expected = sum(c >= thr - 1e-12 for c in cov)
        assert 0 < expected < len(required), (thr, cov)
        assert (t["quote"]["tp"], t["quote"]["fn"]) == (expected, len(required) - expected), thr
        assert t["quote_exact"]["tp"] == 0


def test_stage_writes_quote_metrics(make_cfg, tmp_path, shared_dir, seed_gold, seed_raw):
    from quotecontra.cli import dispatch
    from quotecontra.records import Article
    from quotecontra.runpaths import RunPaths

    paths = RunPaths.of(tmp_path)
    write_jsonl(paths.quotes, gold_as_predictions(seed_gold))
    write_jsonl(paths.articles, [Article(id="article", text=seed_gold[0].article_text)])
    cfg = make_cfg("stage=evaluate-quotes", f"gold={shared_dir / 'seed' / 'gold.json'}", run_dir=tmp_path)
    metrics = dispatch(cfg)
    assert metrics["quote.f1"] == 1.0 and metrics["seed.quote.f1"] == 1.0
    written = json.loads(paths.quote_metrics.read_text())
    assert written["all"]["quote"]["tp"] == len(seed_raw) - _n_optional(seed_raw) and written["annotated_here"] == []
