"""A tiny run dir built by hand (two articles, six quote records, one of them split, and pairs) for the export
tests and for trying the Label Studio loop without running the pipeline:
``python -m quotecontra.export.demo runs/demo`` then ``quotecontra export run_dir=runs/demo``.

Offsets are found in the text, never typed in, so editing the text keeps the records consistent.
"""

from __future__ import annotations

import re
from pathlib import Path

from quotecontra.records import Article, Pair, Quote, quote_id, write_jsonl

BRIDGE = (
    "Finance Minister Rhona Delacourt told the chamber that the budget contained 48 million for the bridge.\n\n"
    '"This is the largest single investment in Harwick for a generation," Delacourt said.\n\n'
    '"The minister is counting the same money twice," Adeyemi said, "and she knows it."\n\n'
    '"Nobody expected the vote to be this close."'
)
CLINIC = (
    "Health officials said the Millbeck clinic would close in March.\n\n"
    '"We will keep the clinic open until the new wing is ready," the health minister, Sara Oduya, insisted.'
)


def span(text: str, piece: str, after: int = 0) -> tuple[int, int]:
    start = text.index(piece, after)
    return start, start + len(piece)


def span_near(text: str, piece: str, quote: tuple[int, int]) -> tuple[int, int]:
    """The occurrence of piece nearest the quote's extent: a speaker mention or cue is the one beside its quote
    ("Delacourt said" after the quote, not "Rhona Delacourt" two sentences before)."""
    starts = [m.start() for m in re.finditer(re.escape(piece), text)]
    if not starts:
        raise ValueError(f"{piece!r} is not in the text")
    s = min(starts, key=lambda s: max(quote[0] - (s + len(piece)), s - quote[1], 0))
    return s, s + len(piece)


def make_quote(
    article: Article,
    pieces: list[str],
    qtype: str,
    speaker: str | None,
    mention: str | None,
    cue: str | None,
    target: str | None,
    confidence: float = 0.8,
) -> Quote:
    text = article.text
    spans = []
    pos = 0
    for p in pieces:
        spans.append(span(text, p, pos))
        pos = spans[-1][1]
    extent = (spans[0][0], spans[-1][1])
    return Quote(
        id=quote_id(article.id, spans),
        article_id=article.id,
        text=" ".join(pieces),
        type=qtype,  # type: ignore[arg-type]
        speaker=speaker,
        cue=cue,
        target=target,
        spans=spans,
        speaker_span=span_near(text, mention, extent) if mention else None,
        cue_span=span_near(text, cue, extent) if cue else None,
        rule="fixture",
        confidence=confidence,
    )


def fixture_records() -> tuple[list[Article], list[Quote], dict[str, list[Pair]]]:
    bridge = Article(id="bridge", title="Budget row", text=BRIDGE, source="fixture")
    clinic = Article(id="clinic", title="Clinic closure", text=CLINIC, source="fixture")
    q1 = make_quote(
        bridge,
        ["the budget contained 48 million for the bridge"],
        "indirect",
        "Rhona Delacourt",
        "Finance Minister Rhona Delacourt",
        "told",
        "the budget",
    )
    q2 = make_quote(
        bridge,
        ["This is the largest single investment in Harwick for a generation,"],
        "direct",
        "Rhona Delacourt",
        "Delacourt",
        "said",
        "Harwick",
    )
    q3 = make_quote(
        bridge,
        ["The minister is counting the same money twice,", "and she knows it."],
        "direct",
        "Tomas Adeyemi",
        "Adeyemi",
        "said",
        "Rhona Delacourt",
    )
    q4 = make_quote(bridge, ["Nobody expected the vote to be this close."], "direct", None, None, None, "the vote")
    q5 = make_quote(
        clinic,
        ["the Millbeck clinic would close in March"],
        "indirect",
        "Health officials",
        "Health officials",
        "said",
        "the Millbeck clinic",
    )
    q6 = make_quote(
        clinic,
        ["We will keep the clinic open until the new wing is ready,"],
        "direct",
        "Sara Oduya",
        "Sara Oduya",
        "insisted",
        "the Millbeck clinic",
    )

    def pair(pid: str, a: Quote, b: Quote, label: str | None, origin: str, split: str) -> Pair:
        return Pair(
            id=pid,
            premise=a.text,
            hypothesis=b.text,
            label=label,  # type: ignore[arg-type]
            origin=origin,
            premise_quote_id=a.id,
            hypothesis_quote_id=b.id,
            article_ids=sorted({a.article_id, b.article_id}, key=[a.article_id, b.article_id].index),
            group=a.article_id,
            target=a.target,
            split=split if split != "candidates" else None,  # type: ignore[arg-type]
            similarity=0.5,
        )

    neg = Pair(
        id="syn-1",
        premise=q1.text,
        hypothesis="the budget did not contain 48 million for the bridge",
        label="contradiction",
        origin="negation",
        premise_quote_id=q1.id,
        article_ids=["bridge"],
        group="bridge",
        split="train",
        edited_side="hypothesis",
    )
    splits = {
        "train": [neg],
        "dev": [pair("dev-1", q2, q3, "neutral", "gold", "dev")],
        "test": [],
        "natural": [pair("nat-1", q5, q6, "contradiction", "gold", "natural")],
        "candidates": [
            pair("cand-1", q1, q3, None, "natural", "candidates"),
            pair("cand-2", q5, q6, None, "natural", "candidates"),
            pair("cand-3", q2, q6, None, "natural", "candidates"),
        ],
    }
    return [bridge, clinic], [q1, q2, q3, q4, q5, q6], splits


def build_run_dir(run_dir: Path) -> tuple[list[Article], list[Quote], dict[str, list[Pair]]]:
    """Write articles.jsonl, quotes.jsonl and the pairs dataset (pairs_store.write_pairs, as the pairs stage does)."""
    from quotecontra.pairs_store import write_pairs
    from quotecontra.runpaths import RunPaths

    articles, quotes, splits = fixture_records()
    paths = RunPaths.of(run_dir)
    write_jsonl(paths.articles, articles)
    write_jsonl(paths.quotes, quotes)
    write_pairs(paths.pairs, {k: v for k, v in splits.items() if k != "candidates"}, splits["candidates"])
    return articles, quotes, splits


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/demo")
    arts, qs, sp = build_run_dir(target)
    print(
        f"{target}: {len(arts)} articles, {len(qs)} quotes, pairs " + ", ".join(f"{k} {len(v)}" for k, v in sp.items())
    )
