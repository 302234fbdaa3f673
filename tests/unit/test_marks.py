"""Quotation-mark pairing: pure string logic (no spaCy)."""

from __future__ import annotations

import pytest

from quotecontra.annotate.marks import cut_spans, find_quotations, gaps, paragraphs, span_text


def texts(text: str) -> list[str]:
    return [span_text(text, q.spans) for q in find_quotations(text)]


def test_curly_quote_content_keeps_trailing_comma_inside_the_marks():
    text = "“He will accept that,” Trump told reporters. “I asked him.”"
    assert texts(text) == ["He will accept that,", "I asked him."]


def test_straight_marks_pair_by_position():
    text = 'He said "we will win" and left. "Never," she said.'
    assert texts(text) == ["we will win", "Never,"]


def test_guillemets_pair():
    assert texts("« Nous resterons », a-t-il dit.") == ["Nous resterons"]


@pytest.mark.parametrize(
    "text",
    [
        "The Farmers’ Union said the club’s plans don’t work.",
        "It was the ’90s and rock’n’roll was loud.",
        "The Jones' house and the players' lounge were empty.",
    ],
)
def test_apostrophes_and_possessives_are_not_quotes(text):
    assert find_quotations(text) == []


def test_single_quotes_with_a_possessive_plural_inside():
    text = "‘The Farmers’ Union is wrong,’ he said."
    assert texts(text) == ["The Farmers’ Union is wrong,"]


def test_unclosed_mark_is_recovered_at_the_paragraph_end_and_the_next_paragraph_survives():
    text = "“Unclosed here, he said.\n\nNext para “ok” fine."
    qs = find_quotations(text)
    assert [span_text(text, q.spans) for q in qs] == ["Unclosed here, he said.", "ok"]
    assert qs[0].recovered and not qs[0].closed
    assert qs[1].closed and not qs[1].recovered


def test_stray_closing_mark_recovers_the_opening_at_the_paragraph_start():
    text = "Intro.\n\nHe will accept that,” Trump said."
    qs = find_quotations(text)
    assert [span_text(text, q.spans) for q in qs] == ["He will accept that,"]
    assert qs[0].recovered


def test_odd_number_of_straight_marks_does_not_lose_the_article():
    text = 'He said "yes" and "no.\n\nAnother "fine" paragraph.'
    assert texts(text) == ["yes", "no.", "fine"]


def test_split_quote_of_one_sentence_is_one_record():
    text = "“The plan,” the mayor said, “will be ready by May.”"
    (q,) = find_quotations(text)
    assert q.split and len(q.spans) == 2
    assert span_text(text, q.spans) == "The plan, will be ready by May."
    assert text[slice(*gaps(q)[0])] == " the mayor said, "


def test_new_sentence_after_the_attribution_is_a_new_quotation():
    text = "“It was not discussed in detail,” he said, adding, “We only agreed.”"
    assert texts(text) == ["It was not discussed in detail,", "We only agreed."]


def test_multi_paragraph_quotation_is_one_record_with_one_span_per_paragraph():
    text = "Intro line.\n\n“This runs on\n\n“and on and on.”\n\nThen."
    (q,) = find_quotations(text)
    assert q.multi_paragraph and q.closed
    assert [text[s:e] for s, e in q.spans] == ["This runs on", "and on and on."]
    assert span_text(text, q.spans) == "This runs on and on and on."


def test_nested_quotes_stay_inside():
    text = "“He told me ‘no’ twice, and “never” once,” she said."
    assert texts(text) == ["He told me ‘no’ twice, and “never” once,"]


def test_spans_are_ordered_trimmed_and_slice_to_the_text():
    text = "A.\n\n“  padded  ,” she said. ‘Single,’ he said.\n“x"
    for q in find_quotations(text):
        for s, e in q.spans:
            assert text[s:e] == text[s:e].strip() and s < e
        assert all(a[1] <= b[0] for a, b in zip(q.spans, q.spans[1:], strict=False))


def test_cut_spans_removes_marks_and_trims_pieces():
    text = "the conflict “could end within weeks” now"
    cuts = [text.index("“"), text.index("”")]
    spans = cut_spans(text, 0, len(text) - 4, cuts)
    assert span_text(text, spans) == "the conflict could end within weeks"


def test_paragraphs_skip_blank_lines():
    assert paragraphs("a\n\n  \nb c\n") == [(0, 1), (6, 9)]
