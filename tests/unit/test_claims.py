"""Decontextualised claims: frame and quote marks removed, pronouns resolved only where the record allows."""

from __future__ import annotations

from quotecontra.pairs.claims import build_claims, clean_content, join_pieces
from quotecontra.records import Article, Quote

SEED_LIKE = (
    "Trump claimed on Monday that both he and Putin backed the idea of European troops on the ground.\n\n"
    "\u201cHe will accept that,\u201d Trump told reporters.\n\n"
    "\u201cI have nothing to add to this,\u201d Peskov stated."
)


def _quote(text: str, art: Article, **kw) -> Quote:
    start = art.text.find(text)
    assert start >= 0, text
    kw.setdefault("type", "direct")
    return Quote(id=f"a:{start}", article_id=art.id, text=text, spans=[(start, start + len(text))], **kw)


def _claims(nlp, quotes, art):
    claims, skipped = build_claims(quotes, {art.id: art}, nlp)
    return {c.quote_id: c for c in claims}, skipped


def test_clean_content_strips_marks_and_brackets():
    assert clean_content("\u201cHe will accept that,\u201d") == "He will accept that."
    assert clean_content("that the [Sergei] Lavrov plan failed") == "The Sergei Lavrov plan failed."
    assert clean_content("It's in writing") == "It's in writing."


def test_pronoun_and_demonstrative_resolved_from_target_and_previous_sentence(nlp):
    art = Article(id="a", text=SEED_LIKE)
    q = _quote("He will accept that,", art, speaker="Donald Trump", target="Vladimir Putin")
    claims, _ = _claims(nlp, [q], art)
    c = claims[q.id]
    assert c.claim == "Vladimir Putin will accept the idea of European troops on the ground."
    assert c.original == "He will accept that,"
    assert c.target == "Vladimir Putin" and c.speaker == "Donald Trump"


def test_first_person_becomes_speaker_with_agreement(nlp):
    art = Article(id="a", text=SEED_LIKE)
    q = _quote("I have nothing to add to this,", art, speaker="Dmitry Peskov", target="Sergei Lavrov")
    claims, _ = _claims(nlp, [q], art)
    assert claims[q.id].claim.startswith("Dmitry Peskov has nothing to add")


def test_reported_speech_he_is_the_speaker(nlp):
    art = Article(id="a", text=SEED_LIKE)
    q = _quote(
        "both he and Putin backed the idea of European troops on the ground",
        art,
        type="indirect",
        speaker="Donald Trump",
        target="Vladimir Putin",
    )
    claims, _ = _claims(nlp, [q], art)
    assert claims[q.id].claim == "Both Donald Trump and Putin backed the idea of European troops on the ground."


def test_unresolvable_pronoun_left_as_written(nlp):
    art = Article(id="a", text="\u201cHe will be back,\u201d a source said.")
    q = _quote("He will be back,", art, speaker="a source", target=None)
    claims, _ = _claims(nlp, [q], art)
    assert claims[q.id].claim == "He will be back."
    assert claims[q.id].resolved == []


def test_split_quote_pieces_rejoined_without_frame_comma():
    text = "\u201cThe plan,\u201d the mayor said, \u201cwill be ready by May.\u201d"
    art = Article(id="a", text=text)
    s1, s2 = text.find("The plan,"), text.find("will be ready by May.")
    q = Quote(
        id="a:x",
        article_id="a",
        text="The plan, will be ready by May.",
        type="direct",
        speaker="the mayor",
        spans=[(s1, s1 + len("The plan,")), (s2, s2 + len("will be ready by May."))],
    )
    assert join_pieces(q, art) == "The plan will be ready by May."


def test_empty_content_is_skipped_with_reason(nlp):
    art = Article(id="a", text="He said \u201c\u201d and left. \u201cYes.\u201d")
    q = Quote(id="a:1", article_id="a", text="\u201c\u201d", type="direct", speaker=None, spans=[(8, 10)])
    claims, skipped = _claims(nlp, [q], art)
    assert claims == {}
    assert skipped == {"empty content": 1}
