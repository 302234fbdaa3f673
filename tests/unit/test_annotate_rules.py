"""Attribution rules on small sentences through the real spaCy pipeline.

The stage parses with :func:`build_nlp` (the configured model plus line breaks as sentence boundaries), so these
tests do too; the last test checks that a Doc from the bare ``nlp`` fixture still gives valid records.
"""

from __future__ import annotations

import pytest

from quotecontra.annotate import AnnotateOptions, annotate_doc, build_nlp, span_text
from quotecontra.records import Article, Quote, quote_id


@pytest.fixture(scope="module")
def pipeline():
    return build_nlp(AnnotateOptions().spacy_model)


TITLE = "A headline for the test\n\n"


def annotate(nlp, body: str) -> list[Quote]:
    text = TITLE + body
    article = Article(id="t", text=text)
    quotes = annotate_doc(nlp(text), article, AnnotateOptions())
    for q in quotes:  # the invariant every record keeps
        assert span_text(text, q.spans) == q.text
        assert q.id == quote_id("t", q.spans) and q.rule and 0 < q.confidence <= 1
    return quotes


def only(quotes: list[Quote]) -> Quote:
    assert len(quotes) == 1, [(q.text, q.rule) for q in quotes]
    return quotes[0]


def test_cue_subject_gives_speaker_cue_and_reported_clause(pipeline):
    q = only(annotate(pipeline, "Jane Hollis said the council would close the library next year."))
    assert (q.type, q.speaker, q.cue, q.rule) == ("indirect", "Jane Hollis", "said", "indirect:ccomp")
    assert q.text == "the council would close the library next year"
    text = TITLE + "Jane Hollis said the council would close the library next year."
    assert text[slice(*q.speaker_span)] == "Jane Hollis" and text[slice(*q.cue_span)] == "said"


def test_complementizer_that_is_not_content(pipeline):
    q = only(annotate(pipeline, "The minister insisted that the budget was balanced."))
    assert q.text == "the budget was balanced" and q.cue == "insisted"


def test_inverted_attribution_after_a_direct_quote(pipeline):
    q = only(annotate(pipeline, "“The plan is dead,” said Mayor Tom Baxter."))
    assert (q.type, q.speaker, q.rule) == ("direct", "Tom Baxter", "direct:inverted")
    assert q.text == "The plan is dead,"


def test_appositive_description_is_not_the_speaker(pipeline):
    q = only(
        annotate(pipeline, "Gareth Pennock, the union’s regional secretary, said more than 120 people would lose work.")
    )
    assert q.speaker == "Gareth Pennock"
    assert q.text == "more than 120 people would lose work"


def test_unnamed_source_keeps_its_description(pipeline):
    q = only(annotate(pipeline, "“Moscow has time on its side,” said a source familiar with Kremlin thinking."))
    assert q.speaker == "a source familiar with Kremlin thinking"


def test_according_to_gives_the_main_clause(pipeline):
    q = only(annotate(pipeline, "According to officials at the ministry, the bridge will reopen in May."))
    assert (q.speaker, q.cue, q.rule) == ("officials at the ministry", "according to", "according_to")
    assert q.text == "the bridge will reopen in May"


def test_participle_cue_takes_the_subject_of_its_clause(pipeline):
    q = only(
        annotate(pipeline, "Moscow has rejected the ceasefire, arguing that Ukraine would use the pause to rearm.")
    )
    assert (q.speaker, q.cue) == ("Moscow", "arguing")
    assert q.text == "Ukraine would use the pause to rearm"


def test_colon_introduced_quote_takes_the_owner_of_the_cue_noun(pipeline):
    quotes = annotate(
        pipeline, "Westmere Health Trust runs the clinic.\n\nThe trust’s answer was blunt: “The date will not move.”"
    )
    q = only([q for q in quotes if q.type == "direct"])
    assert q.text == "The date will not move." and q.speaker == "Westmere Health Trust"
    assert q.rule.startswith("direct:colon")


def test_trailing_dash_names_the_speaker(pipeline):
    q = only(annotate(pipeline, "“We will be back next season.” — Maria Lopez"))
    assert (q.speaker, q.rule) == ("Maria Lopez", "direct:dash")


def test_pronoun_speaker_resolves_to_the_most_recent_person(pipeline):
    quotes = annotate(
        pipeline, "Priya Dassan, a practice nurse, said staff were not warned.\n\n“Nobody told us anything,” she said."
    )
    direct = only([q for q in quotes if q.type == "direct"])
    assert direct.speaker == "Priya Dassan" and direct.rule == "direct:cue-subject+pronoun"
    named = annotate(
        pipeline,
        "Priya Dassan, a practice nurse, said staff were not warned.\n\n“Nobody told us anything,” Dassan said.",
    )
    named_direct = only([q for q in named if q.type == "direct"])
    assert named_direct.rule == "direct:cue-subject" and direct.confidence < named_direct.confidence


def test_surname_resolves_to_the_full_name_and_titles_are_stripped(pipeline):
    quotes = annotate(
        pipeline,
        "Kremlin spokesperson Dmitry Peskov spoke on Tuesday.\n\n“I have nothing to add,” Peskov stated.",
    )
    assert only(quotes).speaker == "Dmitry Peskov"


def test_split_quote_of_one_sentence_is_one_record(pipeline):
    q = only(annotate(pipeline, "“The plan,” the mayor said, “will be ready by May.”"))
    assert len(q.spans) == 2 and q.text == "The plan, will be ready by May."
    assert q.cue == "said"


def test_second_sentence_after_the_attribution_is_a_second_record_of_the_same_speaker(pipeline):
    quotes = annotate(pipeline, "“It was not discussed,” Anna Kowal said, adding, “We only agreed to meet again.”")
    assert [q.text for q in quotes] == ["It was not discussed,", "We only agreed to meet again."]
    assert {q.speaker for q in quotes} == {"Anna Kowal"} and quotes[1].cue == "adding"


def test_quote_following_an_attributed_one_carries_its_speaker(pipeline):
    quotes = annotate(pipeline, "“We lost,” Graham Tull said. “We will be back.”")
    assert [q.speaker for q in quotes] == ["Graham Tull", "Graham Tull"]
    assert quotes[1].rule == "direct:carry"


def test_mixed_quote_text_drops_the_marks(pipeline):
    q = only(annotate(pipeline, "Sergei Lavrov dismissed the idea of peacekeepers as “unacceptable” during talks."))
    assert q.type == "mixed" and q.speaker == "Sergei Lavrov"
    assert q.text == "the idea of peacekeepers as unacceptable" and len(q.spans) == 2


def test_ccomp_with_a_quoted_fragment_is_mixed(pipeline):
    q = only(annotate(pipeline, "Donald Kerr claimed that the conflict “could end within weeks”."))
    assert (q.type, q.text) == ("mixed", "the conflict could end within weeks")


def test_target_resolves_a_pronoun_inside_the_quote_to_someone_other_than_the_speaker(pipeline):
    quotes = annotate(
        pipeline,
        "President Arlen Voss said Premier Dmitri Kastel backed the plan.\n\n“He will accept that,” Voss told reporters.",
    )
    direct = only([q for q in quotes if q.type == "direct"])
    assert direct.speaker == "Arlen Voss" and direct.cue == "told"
    assert direct.target in {"Dmitri Kastel", "Premier Dmitri Kastel"}


def test_target_prefers_a_named_entity_in_the_content(pipeline):
    q = only(annotate(pipeline, "Jane Hollis said the Harwick Council would close the library."))
    assert q.target == "Harwick Council"


@pytest.mark.parametrize(
    "body",
    [
        "The Farmers’ Union’s plan was approved by the club’s members on Monday.",
        "The so-called “root causes” of the war remain unclear to historians.",
        "Peskov contradicted the statement on Tuesday.",
    ],
)
def test_not_a_quote(pipeline, body):
    assert annotate(pipeline, body) == []


def test_headline_is_not_annotated(pipeline):
    text = "Mayor says bridge will reopen in May\n\nThe bridge is closed."
    assert annotate_doc(pipeline(text), Article(id="h", text=text), AnnotateOptions()) == []


def test_extra_cues_extend_the_lexicon(pipeline):
    text = TITLE + "Jane Hollis tooted that the council would close the library."
    art = Article(id="t", text=text)
    assert annotate_doc(pipeline(text), art, AnnotateOptions()) == []
    (q,) = annotate_doc(pipeline(text), art, AnnotateOptions(extra_cues=("toot",)))
    assert q.cue == "tooted"


def test_a_doc_from_the_bare_pipeline_still_gives_valid_records(nlp):
    """Ray workers or other callers may parse without the paragraph component: records stay well-formed."""
    text = TITLE + "Jane Hollis said the council would close the library.\n\n“It is a scandal,” she said."
    quotes = annotate_doc(nlp(text), Article(id="t", text=text), AnnotateOptions())
    assert quotes and all(span_text(text, q.spans) == q.text for q in quotes)
    assert all(q.speaker is None or "headline" not in q.speaker for q in quotes)


def test_the_company_resolves_to_the_business_named_before(pipeline):
    quotes = annotate(
        pipeline,
        "Norvane Telecom Ltd restored most lines on Monday, after a letter from Harwick Council.\n\n"
        "“Every customer will be reconnected by Friday,” the company said in a statement.",
    )
    q = only([q for q in quotes if q.type == "direct"])
    assert q.speaker == "Norvane Telecom Ltd"  # the subject; the council is a public body
    assert q.text == "Every customer will be reconnected by Friday,"


def test_the_council_is_not_taken_for_a_company(pipeline):
    quotes = annotate(pipeline, "Harwick Council met residents.\n\n“We are listening,” the company said.")
    assert only([q for q in quotes if q.type == "direct"]).speaker == "the company"
