"""Records validate on write and read; ids are stable; schemas come from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from quotecontra.records import Pair, Quote, json_schemas, quote_id, read_jsonl, write_jsonl


def _quote(**kw) -> Quote:
    base = dict(
        id=quote_id("a1", [(10, 20)]),
        article_id="a1",
        text="0123456789",
        type="direct",
        speaker="Ana Ruiz",
        spans=[(10, 20)],
    )
    base.update(kw)
    return Quote(**base)


def test_quote_id_is_stable_and_span_based() -> None:
    assert quote_id("a1", [(1, 5), (9, 12)]) == quote_id("a1", [(1, 5), (9, 12)]) == "a1:1-5+9-12"
    assert quote_id("a1", [(1, 5)]) != quote_id("a2", [(1, 5)])


@pytest.mark.parametrize("spans", [[], [(5, 5)], [(9, 12), (1, 5)], [(1, 6), (5, 9)], [(-1, 3)]])
def test_bad_spans_rejected(spans) -> None:
    with pytest.raises(ValueError):
        _quote(spans=spans)


def test_unknown_field_and_bad_type_rejected() -> None:
    with pytest.raises(ValueError):
        _quote(typo=1)
    with pytest.raises(ValueError):
        _quote(type="paraphrase")


def test_jsonl_round_trip_and_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    quotes = [_quote(), _quote(id="a1:30-40", spans=[(30, 40)], speaker=None)]
    assert write_jsonl(path, quotes) == 2
    assert list(read_jsonl(path, Quote)) == quotes
    with path.open("a") as fh:
        fh.write('{"id": "broken"}\n')
    with pytest.raises(ValueError, match=r"q.jsonl:3: invalid Quote"):
        list(read_jsonl(path, Quote))


def test_pair_needs_text_and_known_label() -> None:
    Pair(id="p", premise="a b", hypothesis="c d", label=None, origin="natural")
    with pytest.raises(ValueError):
        Pair(id="p", premise=" ", hypothesis="c", label="neutral", origin="negation")
    with pytest.raises(ValueError):
        Pair(id="p", premise="a", hypothesis="c", label="maybe", origin="negation")


def test_schemas_generated_from_code() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"article", "quote", "pair"}
    assert set(schemas["quote"]["required"]) >= {"id", "article_id", "text", "type", "speaker", "spans"}
    assert schemas["pair"]["properties"]["label"]["anyOf"][0]["enum"] == ["contradiction", "entailment", "neutral"]
