"""One claim whose code raises costs only that claim: its record is skipped with a counted reason, every other
claim and its synthetic pairs come out exactly as without the failure (issue 13.2, pairs per claim)."""

from __future__ import annotations

import pytest

from quotecontra.pairs import claim_build, synthetic
from quotecontra.pairs.claim_build import build_claims
from quotecontra.pairs.synthetic import SyntheticOptions, synthetic_pairs
from quotecontra.records import Article, Quote, quote_id

TEXT = (
    'The mayor said the bridge will reopen in March. "We will not raise fares this year," said Ana Ortiz. '
    "Councillor Ben Reyes said the budget was balanced."
)


def _quote(piece: str, speaker: str, cue: str) -> Quote:
    start = TEXT.index(piece)
    spans = [(start, start + len(piece))]
    return Quote(
        id=quote_id("a1", spans),
        article_id="a1",
        text=piece,
        type="indirect",
        speaker=speaker,
        cue=cue,
        target=None,
        spans=spans,
        rule="fixture",
    )


@pytest.fixture(scope="module")
def inputs():
    article = Article(id="a1", title="Town hall", text=TEXT)
    quotes = [
        _quote("the bridge will reopen in March", "the mayor", "said"),
        _quote("We will not raise fares this year", "Ana Ortiz", "said"),
        _quote("the budget was balanced", "Ben Reyes", "said"),
    ]
    return quotes, {"a1": article}


def test_a_failing_claim_is_skipped_with_its_reason_and_the_others_are_kept(inputs, nlp, monkeypatch):
    quotes, articles = inputs
    clean, clean_skips = build_claims(quotes, articles, nlp)
    assert len(clean) == 3 and not clean_skips
    bad = quotes[1].id
    real = claim_build.ClaimBuilder._finish

    def finish(self, d, refs):
        if d.q.id == bad:
            raise RuntimeError("a rule bug")
        return real(self, d, refs)

    monkeypatch.setattr(claim_build.ClaimBuilder, "_finish", finish)
    reasons: dict[str, str] = {}
    claims, skips = build_claims(quotes, articles, nlp, reasons=reasons)
    assert [c.model_dump() for c in claims] == [c.model_dump() for c in clean if c.quote_id != bad]
    assert skips == {"error: RuntimeError": 1} and reasons == {bad: "error: RuntimeError"}


def test_a_claim_whose_pairs_raise_loses_only_its_own_pairs(inputs, nlp, monkeypatch):
    quotes, articles = inputs
    claims, _ = build_claims(quotes, articles, nlp)
    docs = list(nlp.pipe(c.claim for c in claims))
    opts = SyntheticOptions()
    clean, clean_skips, _ = synthetic_pairs(claims, docs, opts, set())
    bad = claims[0]
    assert {p.premise_quote_id for p in clean} >= {c.quote_id for c in claims}  # every claim made pairs
    assert not [k for k in clean_skips if k.startswith("claim error")]
    real = synthetic.synthesize

    def synthesize(doc, perturb, rng):
        if doc.text == bad.claim:
            raise ValueError("an edit bug")
        return real(doc, perturb, rng)

    monkeypatch.setattr(synthetic, "synthesize", synthesize)
    pairs, skips, made = synthetic_pairs(claims, docs, opts, set())
    assert skips["claim error: ValueError"] == 1
    assert [p.model_dump() for p in pairs] == [p.model_dump() for p in clean if bad.quote_id not in _sides(p)]
    assert sum(made.values()) == len(pairs)


def _sides(p) -> set[str | None]:
    return {p.premise_quote_id, p.hypothesis_quote_id}
