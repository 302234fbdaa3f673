"""Per-article state the extraction rules share, and the record draft they fill in, with its confidence."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Token

from quotecontra.annotate.cues import Lexicon
from quotecontra.annotate.limits import MAX_CLAUSE_TOKENS, Budget
from quotecontra.annotate.marks import Quotation, find_quotations, paragraphs
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.annotate.speakers import EntityIndex
from quotecontra.annotate.tree import Cover, SubtreeIndex
from quotecontra.records import QuoteType

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

SENT_END_RX = re.compile(r"[.!?…][\"”’']?(?=\s|$)")
_HEADLINE_END = set(".!?:\"”’)…'")
EDGE_PUNCT = set(",.;:—–-\"“”‘’'«»()[]…!?")
NOUNISH = frozenset({"NOUN", "PROPN", "PRON"})
CLIMB_DEPS = frozenset({"advcl", "conj", "xcomp", "acl", "relcl"})
COMPLEMENT_DEPS = frozenset({"dobj", "ccomp", "xcomp", "oprd", "attr", "acomp", "prep", "dative", "npadvmod"})
DEFINITE = frozenset({"the", "this", "these", "those", "that"})


# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Draft:
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


class Context:
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
        return line[-1] not in _HEADLINE_END and len(line.split()) < 25 and not SENT_END_RX.search(line)

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


def is_cue_verb(tok: Token, lex: Lexicon) -> bool:
    return tok.pos_ in {"VERB", "AUX"} and tok.lemma_.lower() in lex.verbs and tok.lemma_.lower() != "be"
