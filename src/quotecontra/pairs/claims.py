"""Decontextualised claims: the content of a quote record, stripped of its frame and readable on its own.

A pair compares *contents* (ANNOTATION_GUIDE.md), so "He will accept that," Trump said must become a claim
about Putin and the troops, not about "he" and "that". Resolution is deliberately conservative: a pronoun is
replaced only when the record's target, its speaker or the sentence before the quote names what it refers to;
otherwise it is left as written (a wrong antecedent is worse than an unresolved one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

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
_THIRD_SG = {"he", "she", "him", "her", "his", "hers"}
_FIRST_SG = {"i", "me", "my", "mine"}
_DEMONSTRATIVES = {"that", "this"}
_MAX_DEMONSTRATIVE_CLAIM = 8  # "He will accept that": only a short opening sentence leans on the text before it


def clean_content(text: str) -> str:
    """Quote marks, dangling commas, editorial brackets and a leading complementizer removed; one space."""
    s = text.strip()
    s = re.sub(r"\[([^\]]*)\]", r"\1", s)  # "[Sergei] Lavrov" -> "Sergei Lavrov"
    s = s.strip(_QUOTE_CHARS + " ")
    s = re.sub('["\u201c\u201d\u00ab\u00bb]', "", s)
    s = re.sub(r"^that\s+", "", s, flags=re.IGNORECASE)
    s = _FRAME_END.sub("", s)
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


def _is_name(text: str | None) -> bool:
    """A proper name (every content word capitalised): safe to stand in for he/she."""
    if not text:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", text) if w.lower() not in {"of", "the", "and", "de", "van"}]
    return bool(words) and all(w[0].isupper() for w in words) and len(words) <= 4


@dataclass(frozen=True)
class Context:
    """What the text around a quote offers for resolution."""

    person: str | None = None  # nearest named person before the quote (not the speaker)
    thing: str | None = None  # object noun phrase of the sentence before the quote


def context_from(doc_before) -> Context:  # doc_before: spaCy Doc of the text just before the quote
    """Antecedents from the sentence before the quote: a PERSON entity and the main verb's object phrase."""
    person = None
    for ent in reversed(doc_before.ents):
        if ent.label_ == "PERSON":
            person = ent.text
            break
    thing = None
    sents = list(doc_before.sents)
    for sent in reversed(sents[-2:]):
        objs = [t for t in sent if t.dep_ == "dobj" and t.pos_ in {"NOUN", "PROPN"}]
        if objs:
            tok = objs[-1]
            thing = doc_before[tok.left_edge.i : tok.right_edge.i + 1].text.strip(" ,.")
            break
    return Context(person=person, thing=thing if thing and len(thing.split()) <= 12 else None)


_FIRST_PERSON_VERB = {"am": "is", "'m": "is", "have": "has", "'ve": "has", "do": "does", "were": "was"}


def _agree(tok, out: list[str]) -> None:
    """After "I" becomes a name, make its present-tense verb third person ("I have" -> "Dmitry Peskov has")."""
    head = tok.head
    if tok.dep_ not in {"nsubj", "nsubjpass"}:
        return
    finite = next((a for a in head.children if a.dep_ in {"aux", "auxpass"} and a.i > tok.i), None) or head
    if finite.i >= len(out) or finite.i < tok.i:
        return
    low = finite.lower_
    if low in _FIRST_PERSON_VERB:
        new = _FIRST_PERSON_VERB[low]
    elif finite.tag_ == "VBP" and finite.pos_ == "VERB":
        from quotecontra.pairs.perturb import inflect

        new = inflect(finite.lemma_.lower(), "VBZ")
    else:
        return
    sep = " " if finite.text.startswith("'") else ""
    out[finite.i] = (sep + new + finite.whitespace_) if sep else (new + finite.whitespace_)
    if sep and finite.i > 0:
        out[finite.i - 1] = out[finite.i - 1].rstrip()


def resolve(
    doc, target: str | None, speaker: str | None, ctx: Context, quote_type: str = "direct"
) -> tuple[str, list[str]]:
    """Rewrite pronouns in a parsed claim; returns the text and the list of rewrites made.

    In direct speech "I" is the speaker and "he"/"she" someone else (the target, else the person named just
    before the quote); in reported speech "he"/"she" is usually the speaker ("Trump suggested that he ...").
    """
    if quote_type == "direct":
        person = target if _is_name(target) and target != speaker else ctx.person
        if person == speaker:
            person = None
    else:
        person = speaker if _is_name(speaker) else None
    first = speaker if _is_name(speaker) and quote_type == "direct" else None
    out: list[str] = [t.text_with_ws for t in doc]
    done: list[str] = []
    agree: list = []
    for tok in doc:
        low = tok.lower_
        rep = None
        if tok.pos_ == "PRON" or tok.tag_ in {"PRP", "PRP$"}:
            if low in _THIRD_SG and person:
                rep = person + "'s" if tok.tag_ == "PRP$" or low in {"his", "hers"} else person
            elif low in _FIRST_SG and first:
                rep = first + "'s" if low in {"my", "mine"} else first
                if low == "i":
                    agree.append(tok)
        if (
            rep is None
            and ctx.thing
            and low in _DEMONSTRATIVES
            and tok.dep_ == "dobj"
            and tok.sent.start == 0
            and len(tok.sent) <= _MAX_DEMONSTRATIVE_CLAIM
        ):
            # "He will accept that": a demonstrative object of a short opening sentence names what came just before
            rep = ctx.thing
        if rep is not None:
            if tok.i == 0 or (tok.i > 0 and doc[tok.i - 1].text in ".!?"):
                rep = rep[:1].upper() + rep[1:]
            done.append(f"{tok.text}->{rep}")
            out[tok.i] = rep + tok.whitespace_
    for tok in agree:
        _agree(tok, out)
    text = "".join(out).strip()
    return text[:1].upper() + text[1:], done


def build_claims(
    quotes: Iterable[Quote], articles: dict[str, Article], nlp, batch_size: int = 64
) -> tuple[list[Claim], dict[str, int]]:
    """Claims for quote records; records with empty content or no article text are skipped with a counted reason."""
    skipped: dict[str, int] = {}
    todo: list[tuple[Quote, str, str]] = []
    for q in quotes:
        art = articles.get(q.article_id)
        content = clean_content(join_pieces(q, art))
        if len(re.findall(r"\w+", content)) < 1:
            skipped["empty content"] = skipped.get("empty content", 0) + 1
            continue
        before = ""
        if art is not None and art.text.strip():
            start = q.spans[0][0]
            before = art.text[max(0, start - 600) : start]
            # drop the opening quote mark and start at a sentence boundary
            before = before.rstrip(_QUOTE_CHARS + " ")
        todo.append((q, content, before))
    claim_docs = nlp.pipe((c for _, c, _ in todo), batch_size=batch_size)
    ctx_docs = nlp.pipe((b for _, _, b in todo), batch_size=batch_size)
    claims: list[Claim] = []
    for (q, _, _), doc, bdoc in zip(todo, claim_docs, ctx_docs, strict=True):
        text, done = resolve(doc, q.target, q.speaker, context_from(bdoc), q.type)
        claims.append(
            Claim(
                quote_id=q.id,
                claim=text,
                original=q.text,
                target=q.target,
                speaker=q.speaker,
                article_id=q.article_id,
                resolved=done,
            )
        )
    return claims, skipped
