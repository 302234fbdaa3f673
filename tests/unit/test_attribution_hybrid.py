"""Hybrid repairs (tagger proposals + rules) and gold files located as tagger training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quotecontra.annotate.extract import AnnotateOptions, annotate_doc
from quotecontra.annotate.hybrid import repair
from quotecontra.gold_spans import find_pieces, locate, located_gold, nearest
from quotecontra.records import Article, Quote, quote_id

TEXT = (
    "Bridge to open in March\n"
    "Harwick mayor Maria Lopez spoke to residents on Monday about the new bridge.\n"
    "“The bridge will open in March,” she said. “We are ready for it.”\n"
    "The council said that the budget for the bridge would grow by a third.\n"
)


def _at(s: str) -> tuple[int, int]:
    i = TEXT.index(s)
    return i, i + len(s)


def _proposal(content: str, source: str | None, cue: str, speaker: str | None = None) -> Quote:
    span = _at(content)
    return Quote(
        id=quote_id("a", [span]),
        article_id="a",
        text=content,
        type="indirect",
        speaker=speaker if speaker is not None else source,
        cue=cue,
        spans=[span],
        speaker_span=_at(source) if source else None,
        cue_span=_at(cue),
        rule="learned:name",
        confidence=0.9,
    )


@pytest.fixture(scope="module")
def parsed(nlp):
    article = Article(id="a", title="Bridge to open in March", text=TEXT)
    doc = nlp(TEXT)
    return doc, article, annotate_doc(doc, article, AnnotateOptions())


def test_quote_marks_and_pronoun_speaker_come_from_the_rules(parsed) -> None:
    """A proposal that includes the quotation marks, attributed to 'she', becomes the rules' direct quote of the
    mayor: spans inside the marks, canonical speaker, a target; the tagger's source span is kept."""
    doc, article, rules = parsed
    q = _proposal("“The bridge will open in March,”", "she", "said", speaker="she")
    out = repair(doc, article, [q], rules)
    direct = [r for r in out if r.spans[0][0] <= _at("The bridge will")[0] < r.spans[-1][1]]
    assert len(direct) == 1
    r = direct[0]
    assert r.type == "direct" and r.speaker == "Maria Lopez" and r.speaker_span == _at("she")
    assert all(TEXT[s] not in "“”" and TEXT[e - 1] not in "“”" for s, e in r.spans)
    # Offsets counted by hand, not sliced from the spans: the headline line is 24 characters and the next 77, so the
    # quote's first word follows the opening mark at 24 + 77 + 1 = 102; its 30 characters end at the comma.
    assert r.spans == [(102, 132)] and r.text == "The bridge will open in March,"
    assert r.target is not None and r.rule.startswith("hybrid:rules:")


def test_unmatched_proposal_gets_speaker_and_target_and_rule_quotes_are_kept(parsed) -> None:
    doc, article, rules = parsed
    q = _proposal("the budget for the bridge would grow by a third", "The council", "said")
    out = repair(doc, article, [q], rules)
    mine = next(r for r in out if r.spans == q.spans)
    assert mine.speaker and mine.speaker.lower().endswith("council")
    assert mine.target is not None
    # the direct quotation nobody proposed is kept from the rules
    assert any(r.type == "direct" and r.rule.startswith("hybrid:rules-only:") for r in out)
    assert all(
        a.spans[-1][1] <= b.spans[0][0] or b.spans[-1][1] <= a.spans[0][0] for a in out for b in out if a is not b
    )


# ---- gold located as spans ------------------------------------------------------------------------------------
def test_gold_quotes_are_located_in_their_article(tmp_path: Path) -> None:
    art = tmp_path / "bridge.txt"
    art.write_text(TEXT, encoding="utf-8")
    quotes = [
        {"id": "q1", "type": "direct", "text": "The bridge will open in March, We are ready for it.",
         "pieces": ["The bridge will open in March,", "We are ready for it."],
         "speaker": ["Maria Lopez", "Lopez"], "cue": "said"},
        {"id": "q2", "type": "indirect", "text": "the budget for the bridge would grow by a third",
         "speaker": ["Harwick council", "The council"], "cue": "said"},
        {"id": "q3", "type": "indirect", "text": "words that are nowhere", "speaker": ["X"], "cue": "said"},
    ]  # fmt: skip
    (tmp_path / "bridge.json").write_text(json.dumps({"article": "bridge.txt", "split": "dev", "quotes": quotes}))
    held = dict(article="held.txt", split="heldout", quotes=quotes)
    (tmp_path / "held").mkdir()
    (tmp_path / "held" / "held.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "held" / "held.json").write_text(json.dumps(held))
    docs, missed = located_gold([tmp_path / "bridge.json", tmp_path / "held"])
    assert len(docs) == 1 and missed == 1  # heldout never trains; q3 is not in the text
    a1, a2 = docs[0].attributions
    assert a1.content == (_at("The bridge will open in March,"), _at("We are ready for it."))
    assert a1.cue == (_at("said"),) and a1.source == ()  # 'she said': no alias nearby, so no source
    assert a2.source == (_at("The council"),) and TEXT[slice(*a2.cue[0])] == "said"


def test_locating_helpers() -> None:
    assert find_pieces("a b c b", ["b", "b"]) == ((2, 3), (6, 7))
    assert find_pieces("a b", ["z"]) is None
    assert nearest("said x said", "said", [(5, 6)]) in {(0, 4), (7, 11)}
    assert nearest("unsaid x", "said", [(7, 8)]) is None  # whole words only
    assert locate(Article(id="e", text="nothing here"), [])[0] == []
