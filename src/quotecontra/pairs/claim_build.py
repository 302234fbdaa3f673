"""The claims pass over a batch of quote records: parse each article once, repair, shape, resolve, render.

Kept apart from claims.py (the rules) so each stays readable: this module only decides the order. Every record ends
as a Claim or as a skip reason; parsing is batched (articles once, contents once, repaired contents once more).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quotecontra.pairs import claim_shape as shape
from quotecontra.pairs.claim_refs import ArticleRefs
from quotecontra.pairs.claims import Claim, Context, article_context, clean_content, join_pieces, resolve_ops
from quotecontra.records import Article, Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

_MAX_CONTEXT_DEPENDENT = 6  # "I can't promise that.": a bare verb and a demonstrative say nothing on their own


@dataclass
class _Draft:
    q: Quote
    art: Article | None
    raw: str
    content: str
    doc: Doc | None = None  # the parse of content (_parse)
    lemma: str | None = None
    rewritten: bool = False
    clause: bool = False  # the article parse reads the content as a clause
    fragment: bool = False  # ... or reads a short "clause" as a phrase
    notes: list[str] = field(default_factory=list)


def _merge(ops: shape.Ops, new: shape.Ops, doc) -> None:
    """Add pronoun rewrites to shape rewrites: a deleted token stays deleted; an inserted 'not' stays after it."""
    for i, v in new.items():
        old = ops.get(i)
        if old == "":
            continue
        if old is not None and old.startswith(doc[i].text + " "):
            v += old[len(doc[i].text) :]
        ops[i] = v


class ClaimBuilder:
    """One claims pass; ``build`` returns the claims and a skip reason per skipped quote id."""

    def __init__(self, nlp, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.batch_size = batch_size

    def build(self, quotes: list[Quote], articles: dict[str, Article]) -> tuple[list[Claim], dict[str, str]]:
        why: dict[str, str] = {}
        by_art: dict[str, list[Quote]] = {}
        for q in quotes:
            by_art.setdefault(q.article_id, []).append(q)
        aids = [a for a in by_art if a in articles and articles[a].text.strip()]
        adocs = self.nlp.pipe((articles[a].text for a in aids), batch_size=8)
        refs = {a: ArticleRefs(d, by_art[a]) for a, d in zip(aids, adocs, strict=True)}
        drafts: list[_Draft] = []
        for q in quotes:
            art = articles.get(q.article_id)
            try:
                raw = self._raw(q, art)
                content = clean_content(raw)
            except Exception as exc:  # one record's bug must not cost the others their claims
                why[q.id] = failed(q, exc)
                continue
            if not re.search(r"\w", content):
                why[q.id] = "empty content"
                continue
            drafts.append(_Draft(q, art, raw, content))
        self._parse(drafts)
        redo, kept = [], []
        for d in drafts:
            try:
                if self._repair(d, refs.get(d.q.article_id)):
                    redo.append(d)
                kept.append(d)
            except Exception as exc:
                why[d.q.id] = failed(d.q, exc)
        self._parse(redo)
        claims: list[Claim] = []
        for d in kept:
            try:
                out = self._finish(d, refs.get(d.q.article_id))
            except Exception as exc:
                out = failed(d.q, exc)
            if isinstance(out, str):
                why[d.q.id] = out
            else:
                claims.append(out)
        return claims, why

    def _parse(self, drafts: list[_Draft]) -> None:
        for d, doc in zip(drafts, self.nlp.pipe((d.content for d in drafts), batch_size=self.batch_size), strict=True):
            d.doc = doc

    @staticmethod
    def _raw(q: Quote, art: Article | None) -> str:
        """The record's words, completed from the article where the record stops short of its own sentence."""
        raw = join_pieces(q, art)
        if art is None or q.spans[-1][1] > len(art.text):
            return raw
        end = q.spans[-1][1]
        if q.type == "direct" and raw.rstrip().endswith(","):
            more = shape.continuation(art.text, end)  # "I can't promise," she said, "that ..."
            if more:
                return raw.rstrip().rstrip(",") + " " + more
        if q.type == "mixed":
            more = shape.to_closing_mark(art.text, end)
            if more:
                return raw + more
        return raw

    @staticmethod
    def _repair(d: _Draft, refs: ArticleRefs | None) -> bool:
        """Content that needs a new parse: a clause cut short, or a predicate complement given its proposition."""
        q, doc = d.q, d.doc
        assert doc is not None  # every draft is parsed before it is repaired
        d.lemma = shape.cue_lemma(q.cue)
        if d.lemma is None and q.cue is None and refs is not None:
            d.lemma = shape.governing_lemma(refs.doc, q.spans[0][0], q.spans[-1][1])
        if shape.dangling(doc) and d.art is not None and q.spans[-1][1] <= len(d.art.text):
            rest = shape.sentence_rest(d.art.text, q.spans[-1][1])
            if rest:
                d.content = clean_content(d.raw.rstrip() + rest)
                d.notes.append("completed from the article sentence")
                return True
        first = next(iter(doc.sents), None)
        if q.type != "direct" and refs is not None and first is not None and len(first) <= 5:
            # a few words parsed alone are easily a "clause" ("Root causes."): the article parse sees the frame
            d.clause = shape.span_is_clause(refs.doc, q.spans[0][0], q.spans[-1][1])
            d.fragment = not d.clause and shape.sentence_problem(first) is None
        if q.type != "direct" and first is not None and shape.sentence_problem(first) == "fragment":
            if refs is not None and shape.span_is_clause(refs.doc, q.spans[0][0], q.spans[-1][1]):
                d.clause = True  # the parse with the frame reads a clause: trust it over the parse without
                return False
            new = shape.predicate_complement(doc, d.lemma)
            if new:
                d.content, d.rewritten = new, True
                d.notes.append(f"predicate complement ({d.lemma})")
                return True
            new = shape.clause_after_that(doc)
            if new:
                d.content = clean_content(new)
                d.notes.append("frame object dropped")
                return True
        return False

    def _finish(self, d: _Draft, refs: ArticleRefs | None) -> Claim | str:
        q, doc = d.q, d.doc
        assert doc is not None  # every draft is parsed before it is finished
        reported = q.type != "direct"
        ops: shape.Ops = {}
        sents = shape.sentences(doc)
        problems = [shape.sentence_problem(next(iter(s.sents))) for s in sents]
        if d.clause and problems[0] == "fragment":
            problems[0] = None
        elif d.fragment and problems[0] is None:
            problems[0] = "fragment"
        kept = [s for s, p in zip(sents, problems, strict=True) if p is None]
        if not kept:
            return f"not a proposition ({problems[0]})"
        for s, p in zip(sents, problems, strict=True):
            if p is not None:
                ops.update({t.i: "" for t in s})
                d.notes.append(f"dropped {p}: {s.text.strip()}")
        ops.update(shape.frame_ops(doc, reported, start=kept[0].start))
        live = [t for t in doc if ops.get(t.i) != ""]
        if shape.dangling(live):
            cut = shape.trailing_cut(live)
            if not cut:
                return "incomplete clause"
            ops.update(cut)
        if reported:
            ops.update(shape.subjunctive_ops(doc))
            if d.lemma in shape.DENIAL_CUES and not d.rewritten:
                neg = shape.negation_ops(doc)
                if neg is None:
                    return "denial not negatable"
                _merge(ops, neg, doc)
                d.notes.append(f"negated ({d.lemma})")
        ctx = article_context(refs, q) if refs is not None else Context()
        rops, done = resolve_ops(doc, q.target, q.speaker, ctx, q.type)
        _merge(ops, rops, doc)
        words = [t for t in doc if ops.get(t.i) != "" and not t.is_punct]
        bare = [t for t in words if t.lower_ in {"this", "that"} and t.dep_ in {"dobj", "pobj"} and t.i not in rops]
        if len(kept) == 1 and len(words) <= _MAX_CONTEXT_DEPENDENT and bare:
            return "context-dependent (unresolved demonstrative)"
        text = shape.render(doc, ops)
        if not re.search(r"\w", text):
            return "empty content"
        return Claim(
            quote_id=q.id,
            claim=text,
            original=q.text,
            target=q.target,
            speaker=q.speaker,
            article_id=q.article_id,
            resolved=done + d.notes,
        )


def failed(q: Quote, exc: Exception) -> str:
    """The skip reason of a record whose claim raised (logged with its id, counted by reason)."""
    log.warning("claim of %s skipped: %s: %s", q.id, type(exc).__name__, exc)
    return f"error: {type(exc).__name__}"


def build_claims(
    quotes: Iterable[Quote],
    articles: dict[str, Article],
    nlp,
    batch_size: int = 64,
    reasons: dict[str, str] | None = None,
) -> tuple[list[Claim], dict[str, int]]:
    """Claims for quote records; records that give no checkable claim are skipped with a counted reason
    (``reasons``, when given, receives the reason per quote id)."""
    builder = ClaimBuilder(nlp, batch_size)
    claims, why = builder.build(list(quotes), articles)
    skipped: dict[str, int] = {}
    for qid, reason in why.items():
        skipped[reason] = skipped.get(reason, 0) + 1
        if reasons is not None:
            reasons[qid] = reason
    return claims, skipped
