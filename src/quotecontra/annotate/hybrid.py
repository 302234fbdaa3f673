"""The hybrid extractor: the tagger proposes attributions, the rule engine repairs what rules do best.

Each article is parsed once by spaCy and run through the rules (:func:`~quotecontra.annotate.extract.annotate_doc`)
beside the tagger. A tagger record that overlaps a rule record by at least half of either takes from it the
quotation-mark pairing (a direct or mixed rule record's spans, so split quotes come out in pieces without their
marks), its canonical speaker (pronouns and descriptions resolved) and its target; other tagger records get their
speaker resolved by the rules' entity index (fullest in-article name, pronouns to the nearest compatible entity)
and their target picked from their tokens. Rule direct quotations no tagger record touched are kept: pairing
quotation marks is what rules do best. Every record keeps the tagger's cue and a ``hybrid:`` rule name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from spacy.tokens import Doc

from quotecontra.annotate.extract import AnnotateOptions, annotate_doc
from quotecontra.annotate.learned import Tagger, to_quotes
from quotecontra.annotate.limits import WINDOW_CHARS
from quotecontra.annotate.marks import span_text
from quotecontra.annotate.speakers import PERSON_PRONOUNS, PLURAL_PRONOUNS, EntityIndex, clean_name
from quotecontra.annotate.targets import pick_target
from quotecontra.records import Article, Quote, quote_id

log = logging.getLogger(__name__)

MIN_OVERLAP = 0.5
KEEP_RULE_TYPES = frozenset({"direct"})


def _chars(spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}


def _overlap(a: Quote, b: Quote) -> float:
    """Shared characters over the shorter content: 1.0 when one contains the other."""
    ca, cb = _chars(a.spans), _chars(b.spans)
    if not ca or not cb:
        return 0.0
    return len(ca & cb) / min(len(ca), len(cb))


def _touches(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def resolve_source(doc: Doc, index: EntityIndex, span: tuple[int, int]) -> str | None:
    """The canonical speaker of a tagged source span, by the rules' entity index."""
    text = doc.text[span[0] : span[1]]
    low = clean_name(text).lower()
    if low in PERSON_PRONOUNS:
        m = index.resolve(span[0], "person", gender=PERSON_PRONOUNS[low])
        return m.cluster.name if m else None
    if low in PLURAL_PRONOUNS or low in {"it", "its"}:
        m = index.resolve(span[0], "org")
        return m.cluster.name if m else None
    sub = doc.char_span(span[0], span[1], alignment_mode="expand")
    if sub is not None:
        for tok in reversed(list(sub)):  # the head noun is usually last: "a senior White House official"
            cluster = index.cluster_at(tok)
            if cluster is not None:
                return cluster.name
    name = index.canonical(text)
    return name or None


def _tokens(doc: Doc, spans: Sequence[tuple[int, int]]) -> list[Any]:
    out = []
    for s, e in spans:
        sub = doc.char_span(s, e, alignment_mode="expand")
        if sub is not None:
            out += [t for t in sub if not t.is_space]
    return out


def repair(doc: Doc, article: Article, learned: list[Quote], rules: list[Quote]) -> list[Quote]:
    """Merge one article's tagger records and rule records (see the module docstring)."""
    index = EntityIndex(doc)
    out: list[Quote] = []
    used: set[int] = set()
    for q in learned:
        best, score = None, 0.0
        for k, r in enumerate(rules):
            ov = _overlap(q, r)
            if ov > score:
                best, score = k, ov
        rule = rules[best] if best is not None and score >= MIN_OVERLAP else None
        spans, qtype = list(q.spans), q.type
        speaker, speaker_span, target = q.speaker, q.speaker_span, None
        how = "tagger"
        if rule is not None:
            used.add(best)  # type: ignore[arg-type]
            how = "rules"
            if rule.type in {"direct", "mixed"}:
                spans, qtype = list(rule.spans), rule.type
            if rule.speaker and (q.speaker_span is None or _touches(q.speaker_span, rule.speaker_span)):
                speaker, speaker_span = rule.speaker, q.speaker_span or rule.speaker_span
            elif q.speaker_span is not None:
                speaker = resolve_source(doc, index, q.speaker_span)
            target = rule.target
        elif q.speaker_span is not None:
            speaker = resolve_source(doc, index, q.speaker_span)
        if target is None:
            anchor = q.speaker_span[0] if q.speaker_span else spans[0][0]
            target = pick_target(_tokens(doc, spans), index, speaker, anchor, quoted=qtype == "direct")
        out.append(
            q.model_copy(
                update={
                    "id": quote_id(article.id, spans),
                    "text": span_text(article.text, spans),
                    "spans": spans,
                    "type": qtype,
                    "speaker": speaker,
                    "speaker_span": speaker_span,
                    "target": target,
                    "rule": f"hybrid:{how}:{rule.rule if rule is not None else q.rule}",
                }
            )
        )
    for k, r in enumerate(rules):
        if k not in used and r.type in KEEP_RULE_TYPES and not any(_overlap(r, q) > 0 for q in out):
            out.append(r.model_copy(update={"rule": f"hybrid:rules-only:{r.rule}"}))
    by_id: dict[str, Quote] = {}
    for q in sorted(out, key=lambda q: q.spans[0]):
        by_id.setdefault(q.id, q)  # two proposals repaired into the same spans are one record
    return _disjoint(list(by_id.values()))


def _disjoint(quotes: list[Quote]) -> list[Quote]:
    """Drop a record whose content is mostly inside a more confident one (repairs can make two overlap)."""
    kept: list[Quote] = []
    for q in sorted(quotes, key=lambda q: -q.confidence):
        if all(_overlap(q, k) < MIN_OVERLAP for k in kept):
            kept.append(q)
    return sorted(kept, key=lambda q: q.spans[0])


def annotate_hybrid(
    articles: Iterable[Article],
    tagger: Tagger | Callable[[], Tagger],
    nlp: Any,
    options: AnnotateOptions,
    known: Callable[[Article], list[Quote] | None] | None = None,
    errors: list[tuple[str, str]] | None = None,
    batch_articles: int = 8,
) -> Iterator[tuple[Article, list[Quote]]]:
    """Stream (article, records); ``nlp`` and ``tagger`` may be loaders, called when the first article needs them.

    An article whose parse or rules fail keeps the tagger's records (logged); one whose tagging fails is listed
    in ``errors`` and yields none. Articles over the rules' window size keep the tagger's records alone.
    """
    models: dict[str, Any] = {}

    def get(name: str, src: Any) -> Any:
        if name not in models:
            models[name] = src if isinstance(src, Tagger) or hasattr(src, "pipe") else src()
        return models[name]

    def process(batch: list[Article]) -> Iterator[tuple[Article, list[Quote]]]:
        tg = get("tagger", tagger)  # a missing model fails the run, not each article
        try:
            found = tg.records([a.text for a in batch])
        except Exception as exc:
            if len(batch) > 1:
                for art in batch:
                    yield from process([art])
                return
            log.exception("hybrid annotate failed on article %s", batch[0].id)
            if errors is not None:
                errors.append((batch[0].id, f"annotate error: {type(exc).__name__}: {exc}"))
            yield batch[0], []
            return
        short = [a for a in batch if len(a.text) <= WINDOW_CHARS]
        parser = get("nlp", nlp)
        try:
            docs = dict(zip((a.id for a in short), parser.pipe(a.text for a in short), strict=True))
        except Exception as exc:  # a parse failure costs the repairs, not the tagger's records
            log.warning("spaCy failed on a batch (%s: %s): tagger records kept", type(exc).__name__, exc)
            docs = {}
        for art, recs in zip(batch, found, strict=True):
            learned = to_quotes(art, recs, rule_prefix="learned")
            doc = docs.get(art.id)
            if doc is None:
                yield art, learned
                continue
            try:
                merged = repair(doc, art, learned, annotate_doc(doc, art, options))
            except Exception as exc:  # the rules failing on one article leaves the tagger's records
                log.warning("hybrid repair failed on %s (%s: %s): tagger records kept", art.id, type(exc).__name__, exc)
                merged = learned
            yield art, merged

    pending: list[Article] = []
    for art in articles:
        cached = known(art) if known is not None else None
        if cached is not None:
            if pending:
                yield from process(pending)
                pending = []
            yield art, cached
            continue
        pending.append(art)
        if len(pending) >= batch_articles:
            yield from process(pending)
            pending = []
    if pending:
        yield from process(pending)
