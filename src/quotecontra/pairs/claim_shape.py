"""Claim shape: is a quote's content a proposition a reader can check, and if not, can it become one?

Reported content often is not a sentence: "dismissed the idea of European peacekeepers in Ukraine as
'unacceptable'" reports the proposition "European peacekeepers in Ukraine are unacceptable"; "denied that any
conditions had been breached" reports the *negation* of its clause; "asked whether the site would reopen" reports no
claim at all. Direct quotes carry answers ("June."), questions and emphatic fragments ("None.") beside full
sentences. This module rewrites what has a safe reading and names what has none, so the claims stage can drop it with
a counted reason instead of turning it into nonsense. Rewrites are token operations (index -> replacement, "" to
delete) rendered once, so they compose with the pronoun rewrites of claims.py.
"""

from __future__ import annotations

import re

Ops = dict[int, str]

SUBJ_DEPS = frozenset({"nsubj", "nsubjpass", "expl", "csubj", "csubjpass"})
_SUBORDINATORS = frozenset(
    {"because", "if", "although", "though", "unless", "while", "whereas", "since", "whether", "until", "as"}
)
_WH = frozenset({"what", "who", "whom", "which", "how", "when", "why", "where", "whether"})
# Verbs reporting "X as Y" (predicate complement after as) or "X Y" (object + predicate noun).
_AS_CUES_WORDS = """dismiss describe brand label characterise characterize regard see view portray paint depict deride denounce
    condemn hail praise reject term present treat class classify count welcome criticise criticize"""
AS_CUES = frozenset(_AS_CUES_WORDS.split())
_NP_CUE_WORDS = "call brand label term dub deem declare pronounce consider name"
NP_CUES = frozenset(_NP_CUE_WORDS.split())
ACCUSE_CUES = frozenset({"accuse"})
# Verbs whose that-clause the speaker holds false.
DENIAL_CUES = frozenset({"deny", "dispute", "refute", "reject", "dismiss"})
_KNOWN = AS_CUES | NP_CUES | ACCUSE_CUES | DENIAL_CUES
_IDEA_OF = re.compile(r"^(?:the\s+)?(?:idea|notion|prospect|possibility|suggestion)\s+of\s+", re.IGNORECASE)
_TRAILING_FRAME = frozenset({"cite", "point", "say", "add", "note", "argue", "insist", "claim", "stress", "warn"})
_DANGLING_TAGS = frozenset({"CC", "DT", "IN", "TO", "MD", "PRP$", "WDT", "WP", "POS"})
# A quote piece that continues after its frame: ", Natarajan said, "that the ward ..."
_CONTINUATION = re.compile(
    '^\\s*[\u201d"]\\s*,?\\s*[^\u201c\u201d"\\n.!?]{1,80}?\\s*,\\s*[\u201c"]([a-z][^\u201d"\\n]*)[\u201d"]'
)
_SENTENCE_REST = re.compile(r"^[^\u201c\u201d\"\n.!?]{1,150}[.!?]")
_TO_CLOSE = re.compile('^([^\u201c\u201d"\\n.!?]{1,40})[\u201d"]')


def cue_lemma(cue: str | None) -> str | None:
    """'dismissed' -> 'dismiss', 'describes' -> 'describe', 'denied' -> 'deny': the cue verbs this module knows."""
    if not cue or " " in cue.strip():
        return None
    w = cue.strip().lower()
    for cand in (w, w[:-1], w[:-2], w[:-3], w[:-3] + "y", w[:-2] + "e", w[:-3] + "e", w[:-4] if len(w) > 6 else ""):
        if cand in _KNOWN:
            return cand
    return None


def governing_lemma(adoc, start: int, end: int) -> str | None:
    """The verb that governs a quote in the article parse: the first head outside the content span."""
    span = adoc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    tok = span.root
    for _ in range(4):
        if tok.head.i == tok.i:
            return None
        tok = tok.head
        if not (span.start <= tok.i < span.end) and tok.pos_ in {"VERB", "AUX"}:
            return tok.lemma_.lower()
    return None


def span_is_clause(adoc, start: int, end: int) -> bool:
    """The article parse, which sees the frame, reads the content as a finite clause ("officials said the version
    ... runs to three pages", where the content parsed alone takes "runs" for a noun)."""
    span = adoc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    root = span.root
    if root.pos_ not in {"VERB", "AUX"}:
        return False
    finite = root.tag_ in {"VBD", "VBZ", "VBP", "MD"} or any(c.dep_ in {"aux", "auxpass"} for c in root.children)
    return finite and any(c.dep_ in SUBJ_DEPS for c in root.children)


def clause_after_that(doc) -> str | None:
    """'analysts on a conference call that the data were clean' -> 'the data were clean': a record that took in
    the frame's object before the complementizer."""
    for t in doc:
        if t.lower_ == "that" and t.dep_ == "mark" and t.i > 0:
            head = t.head
            if head.pos_ in {"VERB", "AUX"} and any(c.dep_ in SUBJ_DEPS for c in head.children):
                return doc[t.i + 1 :].text
    return None


def continuation(article_text: str, end: int) -> str | None:
    """The rest of a sentence split by its attribution frame, when the quote record stops at the frame."""
    m = _CONTINUATION.match(article_text[end : end + 600])
    return m.group(1).strip() if m else None


def sentence_rest(article_text: str, end: int) -> str | None:
    """The words that finish a sentence cut off inside a reported clause ("fair and" + "would recommend it")."""
    m = _SENTENCE_REST.match(article_text[end : end + 200])
    return m.group(0).rstrip(".!? ") if m else None


def to_closing_mark(article_text: str, end: int) -> str | None:
    """Words a mixed quote record left inside its quotation ("... nobody outside Lumora" + " has checked\u201d")."""
    m = _TO_CLOSE.match(article_text[end : end + 60])
    return m.group(1) if m else None


def dangling(tokens) -> bool:
    """The content stops on a word that needs more: a conjunction, determiner, complementizer or auxiliary (a
    stranded preposition is fine: "what the club had allowed for")."""
    words = [t for t in tokens if not t.is_punct and not t.is_space]
    if not words:
        return False
    last = words[-1]
    if last.tag_ == "IN":
        return last.dep_ == "mark"
    if last.tag_ == "DT":
        return last.dep_ == "det"  # "the council knows that" ends on a pronoun
    return last.tag_ in _DANGLING_TAGS


def trailing_cut(tokens) -> Ops:
    """Delete a trailing conjunction (and its comma) left by a truncated record: 'fair and' -> 'fair'."""
    ops: Ops = {}
    words = [t for t in tokens if not t.is_space]
    while words and words[-1].text in {".", "!", "?"}:
        words.pop()  # the full stop stays
    while words and (words[-1].is_punct or words[-1].tag_ == "CC"):
        ops[words[-1].i] = ""
        words.pop()
    return ops if any(t.tag_ == "CC" and t.i in ops for t in tokens) else {}


def sentence_problem(sent) -> str | None:
    """Why a sentence is not a checkable proposition (question, fragment, elliptical), or None."""
    words = [t for t in sent if not t.is_punct and not t.is_space]
    if not words:
        return "fragment"
    if sent.text.rstrip(" \"'\u201d\u2019").endswith("?"):
        return "question"
    root = sent.root
    first = words[0]
    if first.lower_ in _WH and first.head.i == root.i:
        return "question"  # "whether the site would reopen", "what it will do", "which would happen"
    if root.pos_ not in {"VERB", "AUX"}:
        # "The application before you is for 400 homes": the parser hung the clause under its subject noun
        clause = [c for c in root.children if c.dep_ == "advcl" and c.tag_ in _FINITE and _has_subject(c)]
        return None if root.pos_ in {"NOUN", "PROPN"} and root.i == words[0].i + 1 and clause else "fragment"
    if root.tag_ == "MD" or (root.pos_ == "AUX" and root.lemma_ in {"do", "have"}):
        return "elliptical"  # "I did, this morning", "We will"
    if not any(c.dep_ in SUBJ_DEPS for c in root.children):
        # a bare participle is no clause ("Not paused — finished"); a finite verb without a subject is more
        # often a parser slip than a fragment, and imperatives stay ("Read paragraph 84")
        auxes = any(c.dep_ in {"aux", "auxpass"} for c in root.children)
        return "fragment" if root.tag_ in {"VBN", "VBG"} and not auxes else None
    if any(c.dep_ == "mark" and c.lower_ in _SUBORDINATORS for c in root.children):
        return "question" if any(c.lower_ == "whether" for c in root.children) else "fragment"
    return None


_FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})


def _has_subject(tok) -> bool:
    return any(c.dep_ in SUBJ_DEPS for c in tok.children)


def sentences(doc) -> list:
    """The claim's sentences, merging the parser's splits that do not follow terminal punctuation ("... her
    challenger, | Councillor Owen Pritchard, less than three weeks before the vote")."""
    groups: list = []
    for sent in doc.sents:
        prev = doc[sent.start - 1] if sent.start > 0 else None
        while prev is not None and prev.text in {'"', "'", "\u201d", "\u2019", ")"} and prev.i > 0:
            prev = doc[prev.i - 1]
        if groups and prev is not None and prev.text not in {".", "!", "?", "...", "\u2026"}:
            groups[-1] = doc[groups[-1].start : sent.end]
        else:
            groups.append(sent)
    return groups


def _plural(tokens) -> bool:
    """Number of a noun phrase: coordination or a plural common-noun head."""
    ids = {t.i for t in tokens}
    heads = [t for t in tokens if t.head.i not in ids or t.head.i == t.i]
    if not heads:
        return False
    head = heads[0]
    if any(c.dep_ == "conj" and c.i in ids for c in head.children):
        return True
    return head.tag_ in {"NNS", "NNPS"} and not head.text[:1].isupper()


def predicate_complement(doc, lemma: str | None) -> str | None:
    """'the idea of X as unacceptable' (dismissed) -> 'X is/are unacceptable'; 'the consultation a box-ticking
    exercise' (called) -> 'The consultation is a box-ticking exercise'; 'Valmonte of using ...' (accused) ->
    'Valmonte is using ...'. None when the verb or the words give no such reading."""
    if lemma is None:
        return None
    toks = [t for t in doc if not t.is_space]
    while toks and toks[-1].is_punct:
        toks.pop()
    split = None
    if lemma in AS_CUES:
        for t in reversed(toks[1:-1]):
            if t.lower_ == "as" and doc[t.i - 1].lower_ not in {"such", "well", "as"}:
                split = (t.i, t.i + 1)
                break
    if split is None and lemma in NP_CUES:
        for t in toks[2:-1]:
            if t.tag_ in {"DT", "PRP$"} and doc[t.i - 1].pos_ in {"NOUN", "PROPN"}:
                split = (t.i, t.i)
                break
    if split is None and lemma in ACCUSE_CUES:
        for t in toks[1:-1]:
            if t.lower_ == "of" and doc[t.i + 1].tag_ == "VBG":
                split = (t.i, t.i + 1)
                break
    if split is None:
        return None
    subj = [t for t in toks if t.i < split[0]]
    rest = "".join(t.text_with_ws for t in toks if t.i >= split[1]).strip()
    if not subj or not rest or any(t.pos_ in {"VERB", "AUX"} and t.tag_ not in {"VBN", "VBG"} for t in subj):
        return None
    text = "".join(t.text_with_ws for t in subj).strip().rstrip(",")
    m = _IDEA_OF.match(text)
    if m:
        text = text[m.end() :]
        subj = [t for t in subj if t.idx - doc[0].idx >= m.end()]
    verb = "are" if _plural(subj) else "is"
    return f"{text[:1].upper()}{text[1:]} {verb} {rest}."


def negation_ops(doc) -> Ops | None:
    """The speaker's side of a denial: 'any X had been breached' -> 'no X had been breached', 'had ever agreed' ->
    'had never agreed', else a 'not' on the main verb. None when no single negation is safe."""
    from quotecontra.pairs.edits import negate

    sents = list(doc.sents)
    if len(sents) != 1:
        return None
    root = sents[0].root
    if any(c.dep_ == "conj" and c.pos_ in {"VERB", "AUX"} for c in root.children):
        return None  # "X and Y" denied: which half is false?
    for c in root.children:
        if c.dep_ in {"nsubj", "nsubjpass"}:
            if c.lower_ in {"anyone", "anybody", "anything"}:
                return {c.i: {"anyone": "no one", "anybody": "nobody", "anything": "nothing"}[c.lower_]}
            det = [d for d in c.children if d.dep_ == "det" and d.lower_ == "any"]
            if det:
                return {det[0].i: "no"}
        if c.dep_ == "advmod" and c.lower_ == "ever":
            return {c.i: "never"}
    return negate(doc, root)


def frame_ops(doc, reported: bool, start: int = 0) -> Ops:
    """Reporting frame left inside the content: a leading complementizer ('that the plan ...'), a second one after
    a conjunction ('... and that it would'), a leading 'And'/'But'/'However,', and in reported speech a trailing
    participle of the speaker's act (', citing a shortage of crews')."""
    ops: Ops = {}
    words = [t for t in doc[start:] if not t.is_space]
    if not words:
        return ops
    first = words[0]
    complementizer = first.lower_ == "that" and (first.dep_ == "mark" or first.tag_ == "IN")
    conjunction = first.lower_ in {"and", "but", "or", "yet", "so"} and first.tag_ == "CC" and len(words) > 3
    if complementizer or conjunction:
        ops[first.i] = ""
    elif first.lower_ == "however" and len(words) > 2 and words[1].text == ",":
        ops[first.i] = ops[words[1].i] = ""
    for t in words[1:]:
        if t.lower_ == "that" and t.dep_ == "mark" and doc[t.i - 1].lower_ in {"and", "but", "or"}:
            ops[t.i] = ""
    if reported:
        for t in words:
            if (
                t.tag_ == "VBG"
                and t.lemma_.lower() in _TRAILING_FRAME
                and t.i > 1
                and doc[t.i - 1].text == ","
                and t.head.dep_ == "ROOT"
                and t.dep_ in {"advcl", "xcomp", "conj", "dep"}
            ):
                for i in range(t.i - 1, max(x.i for x in t.subtree) + 1):
                    ops[i] = ""
                break
    return ops


def subjunctive_ops(doc) -> Ops:
    """'recommends that the site be offered for sale' -> 'The site should be offered for sale'."""
    for sent in doc.sents:
        root = sent.root
        if not any(c.dep_ in {"nsubj", "nsubjpass"} for c in root.children):
            continue
        auxes = [c for c in root.children if c.dep_ in {"aux", "auxpass"} and c.i < root.i]
        finite = auxes[0] if auxes else root
        bare = finite.tag_ == "VB" and finite.i > sent.start and doc[finite.i - 1].lower_ != "to"
        if bare and not any(a.tag_ == "MD" for a in auxes):
            return {finite.i: "should " + finite.text}
    return {}


def render(doc, ops: Ops) -> str:
    """The claim text with the operations applied, spacing and punctuation tidied, capitalised, full stop added.

    A deleted run keeps one space when words follow it and none before punctuation or the end."""
    parts: list[str] = []
    toks = list(doc)
    i = 0
    while i < len(toks):
        tok = toks[i]
        new = ops.get(tok.i)
        if new is None:
            parts.append(tok.text_with_ws)
        elif new:
            parts.append(new + tok.whitespace_)
        else:
            j = i
            while j + 1 < len(toks) and ops.get(toks[j + 1].i) == "":
                j += 1
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if parts and (nxt is None or (nxt.is_punct and nxt.text not in {"(", "\u201c", '"'})):
                parts[-1] = parts[-1].rstrip()
            elif parts and not parts[-1].endswith(" ") and any(t.whitespace_ for t in toks[i : j + 1]):
                parts[-1] += " "  # "wo|n't close" -> "will close"
            i = j + 1
            continue
        i += 1
    s = "".join(parts)
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    s = re.sub(r"([,;:])(\s*[,;:])+", r"\1", s)
    s = re.sub(r"[,;:]\s*([.!?])", r"\1", s)
    s = re.sub(r"\s{2,}", " ", s).strip().lstrip(",;: ").rstrip(",;:\u2014- ")
    if s and s[-1] not in ".!?":
        s += "."
    return s[:1].upper() + s[1:]
