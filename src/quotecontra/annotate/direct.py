"""Direct quotations: the cue and speaker in the frame around the marks, colons, conversations, fragments."""

from __future__ import annotations

import bisect
import re

from spacy.tokens import Token

from quotecontra.annotate.context import SENT_END_RX, Context, Draft, is_cue_verb
from quotecontra.annotate.marks import Quotation, gaps
from quotecontra.annotate.sources import attribute_draft, cue_subject


def _frames(q: Quotation, ctx: Context) -> tuple[tuple[int, int], tuple[int, int]]:
    """The text before and after a quotation in its paragraph, cut at sentence ends and neighbouring quotations."""
    p = ctx.para_of(q.start)
    plo, phi = ctx.paras[p]
    if q.multi_paragraph:
        phi = ctx.paras[ctx.para_of(q.end - 1)][1]
    # the nearest quotation end before q and start after q, inside the paragraph (bisection: many quotations)
    k = bisect.bisect_right(ctx.q_ends, q.start) - 1
    prev_end = ctx.q_ends[k] if k >= 0 and ctx.q_ends[k] > plo else plo
    k = bisect.bisect_left(ctx.q_starts, q.end)
    next_start = ctx.q_starts[k] if k < len(ctx.q_starts) and ctx.q_starts[k] < phi else phi
    bstart = prev_end
    m: re.Match[str] | None
    for m in SENT_END_RX.finditer(ctx.text, prev_end, q.start):
        bstart = m.end()
    aend = next_start
    m = SENT_END_RX.search(ctx.text, q.end, next_start)
    if m:
        aend = m.end()
    return (bstart, q.start), (q.end, aend)


def _frame_cue(ctx: Context, start: int, end: int, last: bool, limit: int | None = None) -> Token | None:
    toks = [t for t in ctx.tokens_in(start, end) if t.i not in ctx.quoted]
    if limit is not None:
        toks = toks[-limit:] if last else toks[:limit]
    cues = [t for t in toks if is_cue_verb(t, ctx.lex) or t.lower_ == "according"]
    if not cues:
        return None
    return cues[-1] if last else cues[0]


def _is_fragment(q: Quotation, before: tuple[int, int], after: tuple[int, int], ctx: Context) -> bool:
    """A quoted phrase inside a clause (scare quotes, a title, a mixed quote's fragment) rather than a quotation."""
    if q.split or q.multi_paragraph:
        return False
    btxt = ctx.text[before[0] : before[1]].strip()
    atxt = ctx.text[after[0] : after[1]].strip()
    content = ctx.text[q.spans[-1][0] : q.spans[-1][1]]
    ends_punct = content[-1] in ",.!?…—–-:;"
    if btxt and btxt[-1] not in ",:—–-(":
        return True
    return bool(
        not btxt and not ends_punct and atxt and atxt[0] not in ".,;:—–-" and not _frame_cue(ctx, *after, False, 4)
    )


def find_direct(ctx: Context) -> tuple[list[Draft], list[Quotation]]:
    drafts: list[Draft] = []
    fragments: list[Quotation] = []
    last_in_para: dict[int, Draft] = {}
    for k, q in enumerate(ctx.quotations):
        ctx.budget.check(f"quotation {k + 1} of {len(ctx.quotations)}")
        before, after = _frames(q, ctx)
        if _is_fragment(q, before, after, ctx):
            fragments.append(q)
            continue
        p = ctx.para_of(q.start)
        toks = [t for s, e in q.spans for t in ctx.tokens_in(s, e)]
        d = Draft(list(q.spans), "direct", "direct", toks, para=p, quotation=q)
        content = ctx.text[q.spans[-1][0] : q.spans[-1][1]]
        atxt = ctx.text[after[0] : after[1]].lstrip()
        btxt = ctx.text[before[0] : before[1]].rstrip()
        cue = None
        for g in gaps(q):
            cue = cue or _frame_cue(ctx, *g, last=False)
        after_ok = bool(atxt) and (content[-1] not in ".…" or atxt[:1].islower() or atxt[:1] in "—–-")
        if cue is None and after_ok:
            cue = _frame_cue(ctx, *after, last=False, limit=6)
        if cue is None and btxt and btxt[-1] in ",:":
            cue = _frame_cue(ctx, *before, last=True)
        anchor = q.start
        if cue is not None and cue.lower_ == "according":
            to = next((c for c in cue.children if c.lower_ == "to"), None)
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
            attribute_draft(d, cue, pobj, "according_to", ctx, anchor)
        elif cue is not None:
            subj, rule = cue_subject(cue, ctx)
            attribute_draft(d, cue, subj, rule, ctx, anchor)
        if d.speaker is None and after_ok and atxt[:1] in "—–-":
            name = next((t for t in ctx.tokens_in(*after) if t.pos_ in {"PROPN", "NOUN"}), None)
            if name is not None:
                attribute_draft(d, None, name, "dash", ctx, anchor)
        if d.speaker is None and btxt.endswith(":"):
            _colon(d, before, ctx, anchor)
        if d.speaker is None and p in last_in_para and last_in_para[p].speaker:
            prev = last_in_para[p]
            d.speaker, d.speaker_span, d.speaker_rule, d.resolution = prev.speaker, prev.speaker_span, "carry", "name"
            d.cue_text, d.cue_span = prev.cue_text, prev.cue_span
        if d.speaker is None and p > 0 and ctx.text[ctx.paras[p - 1][0] : ctx.paras[p - 1][1]].rstrip().endswith(":"):
            _colon(d, ctx.paras[p - 1], ctx, anchor)
        drafts.append(d)
        last_in_para[ctx.para_of(q.end - 1)] = d
    return drafts, fragments


def _colon(d: Draft, frame: tuple[int, int], ctx: Context, anchor: int) -> None:
    """'The trust’s answer was blunt: “…”': a cue verb, else a cue noun's owner, else the clause subject."""
    toks = [t for t in ctx.tokens_in(*frame) if t.i not in ctx.quoted]
    cue = next((t for t in reversed(toks) if is_cue_verb(t, ctx.lex)), None)
    if cue is not None:
        subj, _ = cue_subject(cue, ctx)
        attribute_draft(d, cue, subj, "colon", ctx, anchor)
        return
    noun = next((t for t in toks if t.pos_ == "NOUN" and t.lemma_.lower() in ctx.lex.nouns), None)
    if noun is not None:
        poss = next((c for c in noun.children if c.dep_ == "poss"), None)
        if poss is not None:
            attribute_draft(d, noun, poss, "colon", ctx, anchor)
            return
    subj = next((t for t in toks if t.dep_ in {"nsubj", "nsubjpass"} and t.pos_ in {"PROPN", "PRON"}), None)
    if subj is not None:
        attribute_draft(d, None, subj, "colon", ctx, anchor)


def attribute_conversation(drafts: list[Draft]) -> None:
    """Alternating unattributed quotations in consecutive paragraphs: A, B, A, B."""
    by_para = {d.para: d for d in drafts}
    for d in drafts:
        if d.speaker is not None:
            continue
        a, b = by_para.get(d.para - 2), by_para.get(d.para - 1)
        if a is not None and b is not None and a.speaker and b.speaker and a.speaker != b.speaker:
            d.speaker, d.speaker_span, d.speaker_rule, d.resolution = a.speaker, a.speaker_span, "conversation", "name"
