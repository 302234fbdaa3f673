"""Targets: whom or what a quote's content is about (ANNOTATION_GUIDE.md, "Target").

Order of preference: the content's subject when it names or refers to an entity (pronouns resolved, the speaker
excluded: "He will accept that," Trump said -> the person "he" refers to, not Trump); then the first named entity in
the content; then the topic noun phrase (subject, else object).
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Token

from quotecontra.annotate.speakers import (
    FIRST_SECOND,
    IT_PRONOUNS,
    NAME_ENTS,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
    EntityIndex,
    clean_name,
)

_SKIP_ENTS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
_NOUNISH = frozenset({"NOUN", "PROPN"})


def _norp_phrase(tok: Token) -> str:
    """'European' in 'European peacekeepers' names a group only together with its noun."""
    head = tok.head if tok.dep_ in {"amod", "compound"} and tok.head.pos_ in _NOUNISH else None
    if head is not None and head.i > tok.i:
        return clean_name(tok.doc[tok.i : head.i + 1].text)
    return clean_name(tok.text)


def _entity_name(tok: Token, index: EntityIndex) -> str | None:
    if tok.ent_type_ in _SKIP_ENTS:
        return None
    if tok.ent_type_ == "NORP":
        return _norp_phrase(tok)
    if tok.ent_type_ in NAME_ENTS or (tok.pos_ == "PROPN" and tok.text[:1].isupper()):
        cluster = index.cluster_at(tok)
        if cluster is not None:
            return cluster.name
        if tok.ent_type_:
            ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
            if ent is not None:
                return index.canonical(ent.text)
        return index.canonical(tok.text)
    return None


def _pronoun_target(tok: Token, index: EntityIndex, anchor: int, exclude: set[str]) -> str | None:
    low = tok.lower_
    if low in FIRST_SECOND:
        return None
    if low in PERSON_PRONOUNS:
        m = index.resolve(anchor, "person", exclude, PERSON_PRONOUNS[low])
    elif low in PLURAL_PRONOUNS or low in IT_PRONOUNS:
        m = None  # "it"/"they" inside a quote mostly refer to events or groups: leave to the topic noun phrase
    else:
        return None
    return m.cluster.name if m else None


def _noun_phrase(tok: Token) -> str:
    """The topic noun phrase: determiners, modifiers and compounds left of the head, nothing after it."""
    left = [c for c in tok.lefts if c.dep_ in {"det", "amod", "compound", "nmod", "poss", "nummod"}]
    start = left[0].i if left else tok.i
    text = tok.doc[start : tok.i + 1].text
    of = next((c for c in tok.rights if c.dep_ == "prep" and c.lower_ in {"of", "in", "over", "on"}), None)
    if of is not None:
        obj = next((c for c in of.children if c.dep_ == "pobj"), None)
        if obj is not None and obj.i - tok.i <= 4:
            text = tok.doc[start : obj.i + 1].text
    return clean_name(text)


def pick_target(
    tokens: Sequence[Token], index: EntityIndex, speaker: str | None, anchor: int, quoted: bool
) -> str | None:
    """The target of a content given as its tokens (in order). ``anchor``: where pronouns are resolved from."""
    if not tokens:
        return None
    exclude = {speaker.lower()} if speaker else set()
    inside = {t.i for t in tokens}
    roots = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]
    # 1. the subject of the content's main clause
    for root in roots:
        for subj in (c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"} and c.i in inside):
            for cand in [subj, *(c for c in subj.children if c.dep_ == "conj")]:
                if cand.pos_ == "PRON":
                    name = _pronoun_target(cand, index, anchor, exclude) if quoted or True else None
                else:
                    name = _entity_name(cand, index)
                    if name is None:
                        poss = next((c for c in cand.children if c.dep_ == "poss"), None)
                        name = _entity_name(poss, index) if poss is not None else None
                if name and name.lower() not in exclude:
                    return name
    # 2. the first entity (or third-person pronoun) mentioned in the content
    for tok in tokens:
        name = _pronoun_target(tok, index, anchor, exclude) if tok.pos_ == "PRON" else _entity_name(tok, index)
        if name and name.lower() not in exclude:
            return name
    # 3. the topic noun phrase: subject, else object, else the first noun
    for root in roots:
        for dep in ("nsubj", "nsubjpass", "dobj", "attr", "pobj"):
            cand = next((c for c in root.subtree if c.dep_ == dep and c.i in inside and c.pos_ in _NOUNISH), None)
            if cand is not None:
                return _noun_phrase(cand)
    noun = next((t for t in tokens if t.pos_ in _NOUNISH), None)
    return _noun_phrase(noun) if noun is not None else None
