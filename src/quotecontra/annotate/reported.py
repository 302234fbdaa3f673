"""Reported clauses (indirect and mixed), quoted fragments inside them, and removal of duplicate drafts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Token

from quotecontra.annotate.context import COMPLEMENT_DEPS, EDGE_PUNCT, Context, Draft, is_cue_verb
from quotecontra.annotate.cues import AMBIGUOUS
from quotecontra.annotate.marks import Quotation, cut_spans
from quotecontra.annotate.sources import attribute_draft, cue_subject


def _content_tokens(tokens: Iterable[Token]) -> list[Token]:
    """Sort, drop the complementizer and edge punctuation: the reported clause as the guide defines it."""
    toks = sorted({t.i: t for t in tokens if not t.is_space}.values(), key=lambda t: t.i)
    while toks and (toks[0].text in EDGE_PUNCT or (toks[0].dep_ == "mark" and toks[0].lower_ in {"that"})):
        toks.pop(0)
    while toks and toks[-1].text in EDGE_PUNCT:
        toks.pop()
    return toks


def _spans_of(toks: Sequence[Token], ctx: Context) -> list[tuple[int, int]]:
    """Contiguous token runs to char spans, cut around quotation marks (a mixed quote's text has none)."""
    spans: list[tuple[int, int]] = []
    run: list[Token] = []
    for t in [*toks, None]:
        if t is not None and (not run or t.i == run[-1].i + 1 or all(x.is_space for x in t.doc[run[-1].i + 1 : t.i])):
            run.append(t)
            continue
        if run:
            s, e = run[0].idx, run[-1].idx + len(run[-1].text)
            spans.extend(cut_spans(ctx.text, s, e, ctx.mark_positions))
        run = [t] if t is not None else []
    return [sp for sp in spans if not all(ch in EDGE_PUNCT for ch in ctx.text[sp[0] : sp[1]])]


def _quoted_share(toks: Sequence[Token], ctx: Context) -> tuple[float, set[int]]:
    """Share of content tokens inside direct quotations, and the ids of the quotations touched."""
    ids = {id(ctx.quoted[t.i]) for t in toks if t.i in ctx.quoted}
    return (sum(t.i in ctx.quoted for t in toks) / len(toks) if toks else 0.0), ids


def find_reported(ctx: Context, direct_ids: set[int]) -> list[Draft]:
    """Indirect and mixed records from cue verbs (ccomp, inverted, parenthetical), cue nouns and 'according to'."""
    out: list[Draft] = []
    lex = ctx.lex
    min_words = ctx.options.min_indirect_words
    for tok in ctx.doc:
        ctx.budget.check(f"token {tok.i} of {len(ctx.doc)} (reported clauses)")
        if tok.i in ctx.quoted or not ctx.in_body(tok):
            continue
        low = tok.lemma_.lower()
        content: list[Token] | None = None
        pattern = ""
        speaker_tok: Token | None = None
        rule = "none"
        if tok.lower_ == "according" and tok.i + 1 < len(ctx.doc) and ctx.doc[tok.i + 1].lower_ == "to":
            to = ctx.doc[tok.i + 1]
            speaker_tok = next((c for c in to.children if c.dep_ == "pobj"), None)
            head = tok.head if tok.head.i != tok.i else tok.sent.root
            if head.pos_ not in {"VERB", "AUX"}:
                head = tok.sent.root
            content = ctx.clause(head, [tok])
            pattern, rule = "according_to", "according_to"
        elif is_cue_verb(tok, lex):
            comps = [c for c in tok.children if c.dep_ == "ccomp"]
            if comps:
                comp = next((c for c in comps if c.i > tok.i), comps[-1])
                has_that = any(c.dep_ == "mark" and c.lower_ == "that" for c in comp.children)
                if low in AMBIGUOUS and not has_that:
                    continue
                skip = [c for c in comp.children if c.dep_ == "conj" and is_cue_verb(c, lex)]
                content = ctx.clause(comp, skip)
                pattern = "ccomp" if comp.i > tok.i else "inverted"
            elif tok.dep_ == "parataxis" and low not in AMBIGUOUS:
                content = ctx.clause(tok.head, [tok])
                pattern = "parenthetical"
            else:
                continue
            speaker_tok, rule = cue_subject(tok, ctx)
        elif tok.pos_ == "NOUN" and low in lex.nouns:
            clause = next(
                (
                    c
                    for c in tok.children
                    if c.dep_ in {"acl", "ccomp", "appos"}
                    and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)
                ),
                None,
            )
            if clause is None:
                continue
            speaker_tok = next((c for c in tok.children if c.dep_ == "poss"), None)
            if speaker_tok is None and tok.dep_ == "dobj":
                speaker_tok = next((c for c in tok.head.children if c.dep_ == "nsubj"), None)
            if speaker_tok is None:
                continue
            content = ctx.clause(clause)
            pattern, rule = "noun", "cue-subject"
        else:
            continue
        if content is None:
            continue  # a clause over MAX_CLAUSE_TOKENS: not a record, and not worth listing
        content = _content_tokens(ctx.same_para(content, tok))
        if not content or len([t for t in content if not t.is_punct]) < min_words:
            continue
        share, touched = _quoted_share(content, ctx)
        if share > 0.5 and touched & direct_ids:
            continue  # the clause is a direct quotation's own words: that record exists already
        # A clause that runs into a direct quotation stops where the quotation starts.
        content = [t for t in content if not (t.i in ctx.quoted and id(ctx.quoted[t.i]) in direct_ids)]
        content = _content_tokens(content)
        if len(content) < min_words:
            continue
        mixed = any(t.i in ctx.quoted for t in content)
        spans = _spans_of(content, ctx)
        if not spans:
            continue
        d = Draft(spans, "mixed" if mixed else "indirect", pattern, content, para=ctx.para_of(spans[0][0]))
        attribute_draft(d, tok, speaker_tok, rule, ctx, tok.idx)
        if d.speaker_rule == "none" and pattern in {"noun"}:
            continue
        out.append(d)
    return out


def find_fragments(ctx: Context, fragments: list[Quotation], taken: list[Draft]) -> list[Draft]:
    """Quoted fragments governed by a cue ('dismissed the idea as “unacceptable”') become mixed records."""
    covered = {t.i for d in taken for t in d.tokens}
    out: list[Draft] = []
    for k, q in enumerate(fragments):
        ctx.budget.check(f"quoted fragment {k + 1} of {len(fragments)}")
        toks = [t for s, e in q.spans for t in ctx.tokens_in(s, e)]
        if not toks or any(t.i in covered for t in toks):
            continue
        node = toks[0]
        inside = {t.i for t in toks}
        while node.i in inside and node.head.i != node.i:
            node = node.head
        child = None
        for _ in range(6):
            if (is_cue_verb(node, ctx.lex) and node.i not in ctx.quoted) or node.head.i == node.i:
                break
            child, node = node, node.head
        if not is_cue_verb(node, ctx.lex) or node.i in ctx.quoted:
            continue
        cue = node
        # the cue's complements from the first one to the one that holds the fragment
        comps = [c for c in cue.children if c.i > cue.i and c.dep_ in COMPLEMENT_DEPS]
        holder = next((c for c in comps if any(ctx.tree.contains(c.i, i) for i in inside)), None)
        if holder is None:
            holder = child if child is not None and child.head.i == cue.i else None
        if holder is None:
            continue
        first = comps[0] if comps else holder
        lo, hi = first.left_edge.i, holder.right_edge.i
        content = _content_tokens(ctx.same_para(ctx.doc[lo : hi + 1], cue))
        if len(content) < 1:
            continue
        spans = _spans_of(content, ctx)
        if not spans:
            continue
        d = Draft(spans, "mixed", "fragment", content, para=ctx.para_of(spans[0][0]), quotation=q)
        subj, rule = cue_subject(cue, ctx)
        attribute_draft(d, cue, subj, rule, ctx, cue.idx)
        out.append(d)
    return out


def dedupe_drafts(drafts: list[Draft]) -> list[Draft]:
    """One record per content: direct quotations first, then by pattern certainty; overlaps over half are dropped."""
    order = {"direct": 0, "according_to": 1, "ccomp": 2, "fragment": 3, "inverted": 4, "parenthetical": 5, "noun": 6}
    kept: list[Draft] = []
    seen: dict[int, int] = {}
    for d in sorted(drafts, key=lambda d: (order.get(d.pattern, 9), d.start)):
        ids = {t.i for t in d.tokens}
        overlap = sum(1 for i in ids if i in seen)
        if ids and overlap / len(ids) > 0.5:
            continue
        for i in ids:
            seen[i] = len(kept)
        kept.append(d)
    return sorted(kept, key=lambda d: d.start)
