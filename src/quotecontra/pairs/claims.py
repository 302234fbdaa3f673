"""Decontextualised claims: the content of a quote record, stripped of its frame and readable on its own.

A pair compares *contents* (ANNOTATION_GUIDE.md), so "He will accept that," Trump said must become a claim
about Putin and the troops, not about "he" and "that". Resolution is deliberately conservative: a pronoun is
replaced only when the article says who it is (claim_refs.py: the target, the speaker, the organisation a speaker
represents, the person the text before the quote is about); otherwise it is left as written (a wrong antecedent is
worse than an unresolved one). Content that is no proposition (a question, "June.", "None.") is dropped with a
counted reason, and reported content is given its proposition first (claim_shape.py: "dismissed X as
unacceptable" -> "X is unacceptable", "denied that X" -> "not X").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from quotecontra.pairs import claim_shape as shape
from quotecontra.pairs.claim_refs import ArticleRefs, is_name
from quotecontra.records import Article, Quote


class Claim(BaseModel):
    """One claim to compare, with the original content kept beside it."""

    model_config = ConfigDict(extra="forbid")

    quote_id: str
    claim: str
    original: str
    target: str | None = None
    speaker: str | None = None
    article_id: str
    resolved: list[str] = []  # "he->Vladimir Putin", ... for auditing the rewrites


_QUOTE_CHARS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
_FRAME_END = re.compile(
    r"[,;]?\s*(?:(?:he|she|they|it|we|i)\s+(?:said|says|added|argued|insisted|claimed|stated))\s*[.,]?\s*$",
    re.IGNORECASE,
)
# "that" opens a clause (and is dropped) when a clause-opening word follows it; "that figure was wrong" keeps it.
_LEADING_THAT = re.compile(
    r"^that\s+(?=(?:the|a|an|it|he|she|they|we|i|there|this|these|those|no|any|every|all|some|its|his|her|their|our"
    r"|my|nobody|none|only|most|more|fewer|[A-Z0-9\u00a3\u20ac$])\b)",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{2,},\s+\d{1,2}\s+[A-Z][a-z]+\s*[\u2014\u2013-]\s*")
_THIRD_SG = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
_FIRST_SG = {"i", "me", "my", "mine"}
_FIRST_PL = {"we", "us", "our", "ours"}
_DEMONSTRATIVES = {"that", "this"}
_MAX_DEMONSTRATIVE_CLAIM = 8  # "He will accept that": only a short opening sentence leans on the text before it
# "He will accept that" names what came just before; "I can't promise that" or "do this" need not.
_STANCE_VERBS_WORDS = """accept reject support back oppose approve endorse welcome deny confirm want allow block sign veto favour favor
    refuse propose rule"""
_STANCE_VERBS = frozenset(_STANCE_VERBS_WORDS.split())
_PERSON_NOUNS_WORDS = """husband wife son daughter boy girl man woman father mother brother sister child player runner athlete
    client patient friend partner colleague boss coach striker manager"""
_PERSON_NOUNS = frozenset(_PERSON_NOUNS_WORDS.split())


def clean_content(text: str) -> str:
    """Quote marks, dangling commas, editorial brackets and a leading complementizer removed; one space."""
    s = text.strip()
    s = re.sub(r"\[([^\]]*)\]", r"\1", s)  # "[Sergei] Lavrov" -> "Sergei Lavrov"
    s = s.strip(_QUOTE_CHARS + " ")
    s = re.sub('["\u201c\u201d\u00ab\u00bb]', "", s)
    s = re.sub("(?<=\\w)[\u2019\u2018](?=\\w)|(?<=s)\u2019(?=\\s)", "'", s)  # the parser splits "I'd", not "I\u2019d"
    s = _DATELINE.sub("", s)
    s = _LEADING_THAT.sub("", s)
    s = _FRAME_END.sub("", s)
    s = re.sub(r"\s+([,;])", r"\1", s)
    s = re.sub(r"([,;])(\s*[,;])+", r"\1", s)
    s = re.sub(r"\s+", " ", s).strip().rstrip(",;:\u2014-").strip()
    if s and s[-1] not in ".!?":
        s += "."
    return s[:1].upper() + s[1:] if s else s


def join_pieces(q: Quote, art: Article | None) -> str:
    """The record's text; for a split quote, the pieces re-joined without the comma that preceded the frame
    ("The plan," the mayor said, "will be ready" -> "The plan will be ready")."""
    if art is None or len(q.spans) < 2 or any(e > len(art.text) for _, e in q.spans):
        return q.text
    pieces = [art.text[s:e].strip() for s, e in q.spans]
    for i in range(len(pieces) - 1):
        nxt = pieces[i + 1].lstrip(_QUOTE_CHARS)
        if nxt[:1].islower():
            pieces[i] = pieces[i].rstrip(_QUOTE_CHARS).rstrip(",").rstrip()
    return " ".join(pieces)


@dataclass(frozen=True)
class Context:
    """What the text around a quote offers for resolution (the last fields only when the article was read)."""

    person: str | None = None  # nearest named person before the quote (not the speaker)
    thing: str | None = None  # object noun phrase of the sentence before the quote
    persons: dict[str, str | None] | None = None  # he/she by gender ("m"/"f"), when the article tells
    speaker_kind: str | None = None  # person | org | group | place | None (unknown)
    org: str | None = None  # what the speaker's "we" stands for
    plural_speaker: bool = False  # "officials said they ..."
    people: frozenset[str] = field(default_factory=frozenset)  # words of the article's person names
    it_is_speaker: bool = True  # no earlier report in the sentence whose subject "it" could mean instead
    speaker_gender: str | None = None


def context_from(doc_before) -> Context:  # doc_before: spaCy Doc or Span of the text just before the quote
    """Antecedents from the sentence before the quote: a PERSON entity and the main verb's object phrase."""
    person = None
    for ent in reversed(list(doc_before.ents)):
        if ent.label_ == "PERSON":
            person = ent.text
            break
    thing = None
    end = doc_before.end if hasattr(doc_before, "end") else len(doc_before)
    for sent in reversed(list(doc_before.sents)[-2:]):
        objs = [t for t in sent if t.dep_ == "dobj" and t.pos_ in {"NOUN", "PROPN"} and t.right_edge.i < end]
        if objs:
            tok = objs[-1]
            thing = tok.doc[tok.left_edge.i : tok.right_edge.i + 1].text.strip(" ,.")
            break
    return Context(person=person, thing=thing if thing and len(thing.split()) <= 12 else None)


_VERB_FOR_3SG = {"am": "is", "'m": "is", "are": "is", "'re": "is", "have": "has", "'ve": "has", "do": "does"}
_VERB_FOR_3SG |= {"were": "was"}
_EXPAND = {"'ll": "will", "'d": "would"}
_CONTRACTED = {"'ll": "will", "'d": "would", "'s": "is", "'m": "am", "'re": "are", "'ve": "have"}


def _coordinated(tok) -> bool:
    """'Andre and I', 'I and the board': a plural subject, whose verb must not become third person singular."""
    doc = tok.doc
    before = tok.i >= 2 and doc[tok.i - 1].lower_ in {"and", "or", "nor"} and doc[tok.i - 2].pos_ in {"PROPN", "NOUN"}
    after = tok.i + 2 < len(doc) and doc[tok.i + 1].lower_ in {"and", "or"} and doc[tok.i + 2].pos_ in {"PROPN", "NOUN"}
    return before or after or tok.dep_ == "conj"


def _agree(tok, ops: shape.Ops) -> None:
    """After "I"/"we" becomes a name, make its verb third person singular ("I have" -> "Dmitry Peskov has")."""
    if tok.dep_ not in {"nsubj", "nsubjpass"} or _coordinated(tok):
        return
    head = tok.head
    finite = next((a for a in head.children if a.dep_ in {"aux", "auxpass"} and a.i > tok.i), None) or head
    if finite.i < tok.i:
        return
    low = finite.lower_
    if low in _VERB_FOR_3SG:
        new = _VERB_FOR_3SG[low]
    elif low in _EXPAND:
        new = "had" if low == "'d" and finite.head.tag_ == "VBN" else _EXPAND[low]
    elif finite.tag_ == "VBP" and finite.pos_ == "VERB":
        from quotecontra.pairs.morphology import inflect

        new = inflect(finite.lemma_.lower(), "VBZ")
    else:
        return
    ops[finite.i] = (" " + new) if finite.text.startswith("'") else new


def _antecedent_before(tok, ctx: Context) -> bool:
    """The claim itself names a person before this pronoun, so it reads on its own and an outside name may be wrong."""
    for t in tok.doc[: tok.i]:
        if t.ent_type_ == "PERSON" or (t.pos_ == "PROPN" and t.lower_ in ctx.people):
            return True
        if t.pos_ == "NOUN" and t.lemma_.lower() in _PERSON_NOUNS:
            return True
    return False


def _third_person(gender: str, target: str | None, speaker: str | None, ctx: Context, direct: bool) -> str | None:
    if ctx.persons is not None:  # the article was read: its evidence decides
        return ctx.persons.get(gender)
    if direct:  # parse-only context: target, else the person named just before the quote
        p = target if is_name(target) and target != speaker else ctx.person
        return None if p == speaker else p
    return speaker if is_name(speaker) else None


_AGAIN = {
    "m": {"i": "he", "me": "him", "my": "his", "mine": "his"},
    "f": {"i": "she", "me": "her", "my": "her", "mine": "hers"},
    "org": {"we": "it", "us": "it", "our": "its", "ours": "its"},
}


def _again(low: str, name: str, gender: str | None) -> str | None:
    """A second mention in one sentence: "Northfold buys milk from families it has known", "Tom Garside doesn't
    know if he will"; a third-person pronoun stays as written (None), its antecedent is now in the sentence."""
    if low in _AGAIN["org"]:
        return _AGAIN["org"][low]
    if low in _FIRST_SG:
        return _AGAIN[gender][low] if gender in {"m", "f"} else name + ("'s" if low in {"my", "mine"} else "")
    return None


def _main_clause_subject(tok) -> bool:
    head = tok.head
    while head.dep_ == "conj":
        head = head.head
    return tok.dep_ in {"nsubj", "nsubjpass"} and head.dep_ == "ROOT"


def resolve_ops(
    doc, target: str | None, speaker: str | None, ctx: Context, quote_type: str = "direct"
) -> tuple[shape.Ops, list[str]]:
    """Token rewrites for the pronouns of a parsed claim, and the list of rewrites made.

    In direct speech "I" is the speaker, "we" the organisation the speaker represents, "he"/"she" someone else; in
    reported speech "he"/"she" is usually the speaker ("Trump suggested that he ..."), and "it"/"they" as the main
    subject the speaking organisation or group ("Northfold said it would ...").
    """
    direct = quote_type == "direct"
    quoted = quote_type in {"direct", "mixed"}  # a mixed quote's quoted words keep the speaker's "I" and "we"
    person_speaker = is_name(speaker) and ctx.speaker_kind in {None, "person"}
    first = speaker if quoted and person_speaker else None
    org = ctx.org if quoted else None
    named = not direct and ctx.speaker_kind in {"org", "group"} and is_name(speaker) and ctx.it_is_speaker
    named_org = speaker if named else None
    group = speaker if not direct and ctx.plural_speaker else None
    ops: shape.Ops = {}
    done: list[str] = []
    agree: list = []
    seen: set[tuple[int, str]] = set()  # (sentence, name) already written: later pronouns there refer back to it
    for tok in doc:
        low = tok.lower_
        rep = None
        poss = tok.tag_ == "PRP$" or low in {"his", "hers", "mine", "ours", "its"}
        if tok.pos_ == "PRON" or tok.tag_ in {"PRP", "PRP$"}:
            if low in _THIRD_SG and not _antecedent_before(tok, ctx):
                rep = _third_person(_THIRD_SG[low], target, speaker, ctx, direct)
            elif low in _FIRST_SG and first:
                rep = first
                agree += [tok] if low == "i" else []
            elif low in _FIRST_PL and org:
                rep = org
                agree += [tok] if low == "we" else []
            elif named_org and low in {"it", "its"} and _main_clause_subject(tok if low == "it" else tok.head):
                rep = named_org
            elif low == "they" and group and _main_clause_subject(tok):
                rep = group
            elif low == "ourselves" and org:
                rep = "itself"
            if rep is not None and (tok.sent.start, rep) in seen:
                rep = _again(low, rep, ctx.speaker_gender if rep == first else None)
            elif rep is not None:
                seen.add((tok.sent.start, rep))
                if poss:
                    rep += "'" if rep.endswith("s") and rep in {org, named_org, group} else "'s"
        if (
            rep is None
            and ctx.thing
            and low in _DEMONSTRATIVES
            and tok.dep_ == "dobj"
            and tok.head.lemma_.lower() in _STANCE_VERBS
            and tok.sent.start == 0
            and len(tok.sent) <= _MAX_DEMONSTRATIVE_CLAIM
        ):
            rep = ctx.thing  # a demonstrative object of a short opening stance sentence names what came just before
        if rep is not None:
            if tok.is_sent_start or (tok.i > 0 and doc[tok.i - 1].text in ".!?"):
                rep = rep[:1].upper() + rep[1:]
            elif not is_name(rep) and rep[:4] in {"The ", "A "}:
                rep = rep[:1].lower() + rep[1:]
            done.append(f"{tok.text}->{rep}")
            ops[tok.i] = rep
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            if nxt is not None and nxt.lower_ in _CONTRACTED and tok.dep_ in {"nsubj", "nsubjpass"}:
                # "he'll" -> "Kieran will", not "Kieran'll"; "'s" before a participle is "has"
                has = nxt.lower_ in {"'s", "'d"} and nxt.head.tag_ == "VBN" and nxt.head.i != nxt.i
                ops[nxt.i] = " " + ({"'s": "has", "'d": "had"}[nxt.lower_] if has else _CONTRACTED[nxt.lower_])
    for tok in agree:
        _agree(tok, ops)
    return ops, done


def resolve(
    doc, target: str | None, speaker: str | None, ctx: Context, quote_type: str = "direct"
) -> tuple[str, list[str]]:
    """Rewrite pronouns in a parsed claim; returns the text and the list of rewrites made."""
    ops, done = resolve_ops(doc, target, speaker, ctx, quote_type)
    return shape.render(doc, ops), done


def article_context(refs: ArticleRefs, q: Quote) -> Context:
    """Context of one quote from its article's parse and entity evidence."""
    adoc, start = refs.doc, q.spans[0][0]
    i = bisect.bisect_left([t.idx for t in adoc], start)
    base = context_from(adoc[:i])
    sp = refs.speaker(q.speaker)
    cl = refs.cluster(q.speaker)
    exclude = {cl.key} if cl is not None else ({q.speaker.lower()} if q.speaker else set())
    persons: dict[str, str | None] = {}
    for g in ("m", "f"):
        if q.type == "direct" or sp.kind in {"org", "group", "place"} or sp.plural:
            persons[g] = refs.person(start, g, exclude, q.target)
        elif sp.kind == "person" or (sp.kind is None and is_name(q.speaker)):
            persons[g] = q.speaker if sp.gender in {None, g} else refs.person(start, g, exclude, q.target)
        else:
            persons[g] = None  # "a spokeswoman said she ...": the unnamed speaker herself
    people = frozenset(w.lower() for c in refs.index.clusters.values() if c.kind == "person" for w in c.name.split())
    # "Vireo denied the battery was glued, saying it was held in place by pull-tabs": "it" is the battery
    lo = adoc[min(i, len(adoc) - 1)].sent.start_char if len(adoc) else 0
    lo = max(lo, adoc.text.rfind("\n", 0, start) + 1)  # the small parser runs sentences across paragraphs
    earlier = any(o.id != q.id and lo <= o.spans[0][0] and o.spans[-1][1] <= start for o in refs.quotes)
    return Context(base.person, base.thing, persons, sp.kind, sp.org, sp.plural, people, not earlier, sp.gender)
