"""Speakers of a cue: its subject, the entity a pronoun or nominal refers to, unnamed descriptions."""

from __future__ import annotations

import bisect

from spacy.tokens import Token

from quotecontra.annotate.context import CLIMB_DEPS, DEFINITE, NOUNISH, Context, Draft
from quotecontra.annotate.speakers import (
    BUSINESS_NOUNS,
    FIRST_SECOND,
    IT_PRONOUNS,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
)


def cue_subject(verb: Token, ctx: Context) -> tuple[Token | None, str]:
    """The speaker token of a cue verb, and the sieve rule that found it (never across a paragraph break: a
    pipeline without the paragraph component may parse a headline and the next paragraph as one sentence)."""
    tok, rule = _subject_any(verb, ctx)
    if tok is not None and ctx.para_of(tok.idx) != ctx.para_of(verb.idx):
        return None, "none"
    return tok, rule


def _subject_any(verb: Token, ctx: Context) -> tuple[Token | None, str]:
    for child in verb.children:
        if child.dep_ in {"nsubj", "nsubjpass"} and child.i not in ctx.quoted:
            return child, ("inverted" if child.i > verb.i else "cue-subject")
    agent = next((c for c in verb.children if c.dep_ == "agent"), None)
    if agent is not None:
        pobj = next((c for c in agent.children if c.dep_ == "pobj"), None)
        if pobj is not None:
            return pobj, "cue-subject"
    v = verb
    for _ in range(3):
        if v.dep_ == "pcomp" and v.head.dep_ == "prep":  # "was quoted as saying"
            v = v.head.head
        elif v.dep_ in CLIMB_DEPS and v.head.i != v.i:
            v = v.head
        else:
            break
        if v.pos_ in {"NOUN", "PROPN"} and v.dep_ in {"ROOT", "nsubj"} and v.i < verb.i:
            return v, "cue-subject"  # "Trump, eager to ..., claimed": the parser hung the verb under the noun
        subj = next((c for c in v.children if c.dep_ in {"nsubj", "nsubjpass"} and c.i not in ctx.quoted), None)
        if subj is not None:
            return subj, "cue-subject"
    # Adjacent noun phrase: the parser lost the subject but the words are next to the cue.
    doc = verb.doc
    if verb.i > 0:
        left = doc[verb.i - 1]
        if left.pos_ in NOUNISH and left.i not in ctx.quoted and left.is_alpha:
            return left, "cue-adjacent"
    if verb.i + 1 < len(doc):
        right = doc[verb.i + 1]
        j = right.i
        while j < len(doc) and doc[j].dep_ in {"det", "amod", "compound"}:
            j += 1
        if j < len(doc) and doc[j].pos_ in NOUNISH and j not in ctx.quoted:
            return doc[j], "inverted"
    # Last resort: the nearest preceding subject in the sentence that is not inside a reported clause.
    sent = verb.sent
    subjects = ctx.sentence_subjects(sent.start, sent.end)
    k = bisect.bisect_left(subjects, verb.i)
    if k > 0:
        return doc[subjects[k - 1]], "sentence-subject"
    return None, "none"


def _description(tok: Token, ctx: Context) -> tuple[str, tuple[int, int]]:
    """An unnamed source as written: 'a source familiar with Kremlin thinking' (relative clauses dropped)."""
    lo_char, hi_char = ctx.paras[ctx.para_of(tok.idx)]
    doc = tok.doc
    sub = ctx.tree.ids(tok.i)
    outside = {i for i in sub if not lo_char <= ctx.tok_starts[i] < hi_char}
    branches = [
        i
        for i in sub
        if i > tok.i and i not in outside and doc[i].dep_ in {"relcl", "appos", "acl", "punct", "cc", "conj"}
    ]
    dropped = ctx.tree.cover(branches)
    ids = {i for i in sub if i not in outside and i not in dropped}
    # keep a contiguous run around the head
    lo = hi = tok.i
    while lo - 1 in ids:
        lo -= 1
    while hi + 1 in ids and hi - tok.i < 8:
        hi += 1
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    span = doc[lo : hi + 1]
    return span.text, (span.start_char, span.end_char)


def _name_span(tok: Token, ctx: Context) -> tuple[int, int]:
    mention = ctx.index.mention_at(tok)
    if mention is not None:
        span = ctx.doc.char_span(mention.start, mention.end, alignment_mode="contract")
        if span is not None and len(span):
            hi_tok = span[-1]
            while hi_tok.i > span.start and (hi_tok.is_punct or hi_tok.dep_ == "case"):
                hi_tok = ctx.doc[hi_tok.i - 1]
            return span.start_char, hi_tok.idx + len(hi_tok.text)
    lo = hi = tok.i
    doc = tok.doc
    while lo > 0 and doc[lo - 1].dep_ in {"compound", "flat"} and doc[lo - 1].head.i in range(lo, hi + 1):
        lo -= 1
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end:
            lo, hi = min(lo, ent.start), max(hi, ent.end - 1)
            break
    while hi > lo and (doc[hi].is_punct or doc[hi].dep_ == "case"):
        hi -= 1
    return doc[lo].idx, doc[hi].idx + len(doc[hi].text)


def _resolve_speaker(tok: Token, ctx: Context, anchor: int) -> tuple[str | None, tuple[int, int] | None, str]:
    """(canonical speaker, mention span, resolution kind) for a speaker token."""
    low = tok.lower_
    tspan = (tok.idx, tok.idx + len(tok.text))
    index = ctx.index
    if tok.pos_ == "PRON" or low in PERSON_PRONOUNS or low in PLURAL_PRONOUNS or low in IT_PRONOUNS:
        if low in {"who", "that", "which"} and tok.head.dep_ == "relcl":
            return _resolve_speaker(tok.head.head, ctx, anchor)
        if low in FIRST_SECOND:
            return None, None, "none"
        if low in PERSON_PRONOUNS:
            m = index.resolve(anchor, "person", gender=PERSON_PRONOUNS[low])
            return (m.cluster.name, tspan, "pronoun") if m else (None, tspan, "none")
        if low in PLURAL_PRONOUNS:
            desc = _recent_description(ctx, anchor, plural=True)
            m = index.resolve(anchor, "org")
            if desc and (m is None or desc[0] > m.start):
                return desc[1], tspan, "pronoun"
            return (m.cluster.name, tspan, "pronoun") if m else (None, tspan, "none")
        if low in IT_PRONOUNS:
            m = index.resolve(anchor, "org") or index.resolve(anchor, "org-or-place")
            return (m.cluster.name, tspan, "pronoun") if m else (None, tspan, "none")
        return None, None, "none"
    cluster = index.cluster_at(tok)
    if cluster is not None:
        return cluster.name, _name_span(tok, ctx), "name"
    for child in tok.children:
        if child.dep_ in {"appos", "nmod"} and child.pos_ == "PROPN":
            cl = index.cluster_at(child)
            if cl is not None:
                return cl.name, _name_span(child, ctx), "name"
    if tok.pos_ == "PROPN":
        s, e = _name_span(tok, ctx)
        return index.canonical(ctx.text[s:e]), (s, e), "name"
    text, span = _description(tok, ctx)
    det = next((c for c in tok.children if c.dep_ in {"det", "poss"}), None)
    if det is not None and det.lower_ in DEFINITE and len(text.split()) <= 4:
        role = tok.lemma_.lower()
        cl = index.by_role(tok.idx, role)
        if cl is not None:
            return cl.name, span, "nominal"
        prior = next((d for d in reversed(ctx.descriptions) if d[1] == role and d[0] < tok.idx), None)
        if prior is not None:
            return prior[2], span, "nominal"
        singular = tok.tag_ == "NN" and not any(c.dep_ == "nummod" for c in tok.children)  # not "the two companies"
        if singular and role in BUSINESS_NOUNS and (biz := index.business_before(tok.idx)) is not None:
            return biz.name, span, "nominal"
    ctx.descriptions.append((tok.idx, tok.lemma_.lower(), text))
    return text, span, "description"


def _recent_description(ctx: Context, pos: int, plural: bool) -> tuple[int, str] | None:
    for off, lemma, text in reversed(ctx.descriptions):
        if off < pos and (not plural or text.split()[-1].endswith("s") or lemma.endswith("s")):
            return off, text
    return None


def attribute_draft(
    draft: Draft, cue: Token | None, speaker_tok: Token | None, rule: str, ctx: Context, anchor: int
) -> None:
    if cue is not None:
        draft.cue = cue
        if cue.lower_ == "according":
            nxt = cue.doc[cue.i + 1] if cue.i + 1 < len(cue.doc) else cue
            draft.cue_text, draft.cue_span = "according to", (cue.idx, nxt.idx + len(nxt.text))
        else:
            draft.cue_text, draft.cue_span = cue.text, (cue.idx, cue.idx + len(cue.text))
    if speaker_tok is None:
        draft.speaker_rule = "none" if rule in {"cue-subject", "inverted"} else rule
        return
    speaker, span, how = _resolve_speaker(speaker_tok, ctx, min(anchor, speaker_tok.idx))
    draft.speaker, draft.speaker_span, draft.resolution = speaker, span, how
    draft.speaker_rule = rule if speaker else "none"
    if speaker and how == "name" and any(c.dep_ == "appos" for c in speaker_tok.children):
        draft.speaker_rule = "appositive" if rule == "cue-subject" else rule
