"""Targets: whom or what a quote's content is about (ANNOTATION_GUIDE.md, "Target").

Order of preference: the content's subject when it names or refers to an entity (pronouns resolved; in a direct
quotation the speaker is excluded: "He will accept that," Trump said -> the person "he" refers to, not Trump;
in a reported clause "he"/"his" is the speaker and is skipped); then the first named entity in the content (a
name used as a modifier keeps its noun: "the Halvorsen share"; places in a locative phrase are scenery, not
topics); then the topic noun phrase, with definite nominals resolved to the article's entities ("the bridge" ->
Tollgate Bridge) and quantifiers dropped ("most drivers" -> drivers).
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
_LOCATIVE = frozenset({"in", "at", "from", "to", "near", "across", "outside", "inside", "around", "throughout"})
_QUANTIFIER_HEADS = frozenset(
    [
        "member",
        "members",
        "most",
        "some",
        "all",
        "one",
        "none",
        "rest",
        "majority",
        "half",
        "part",
        "any",
        "many",
        "few",
        "each",
        "number",
        "amount",
        "share",
        "lot",
        "bit",
        "piece",
        "kind",
        "sort",
        "type",
    ]
)
_KEEP_LEFT = frozenset({"compound", "poss", "nmod"})
_DEFINITE = frozenset({"the", "this", "that", "these", "those"})


def _norp_phrase(tok: Token) -> str:
    """'European' in 'European peacekeepers' names a group only together with its noun."""
    head = tok.head if tok.dep_ in {"amod", "compound"} and tok.head.pos_ in _NOUNISH else None
    if head is not None and head.i > tok.i:
        return clean_name(tok.doc[tok.i : head.i + 1].text)
    return clean_name(tok.text)


def _locative(tok: Token) -> bool:
    """A place that only says where: 'in Galway', 'from Portugal'."""
    node = tok
    while node.dep_ in {"compound", "flat"} and node.head.i != node.i:
        node = node.head
    return node.dep_ == "pobj" and node.head.lower_ in _LOCATIVE


def _entity_name(tok: Token, index: EntityIndex) -> str | None:
    if tok.ent_type_ in _SKIP_ENTS or (tok.text.isupper() and len(tok.text) > 3 and index.cluster_at(tok) is None):
        return None  # dates and numbers, datelines ("LAUSANNE, 14 March —")
    if tok.ent_type_ == "NORP":
        return _norp_phrase(tok)
    if tok.ent_type_ in NAME_ENTS or (tok.pos_ == "PROPN" and tok.text[:1].isupper()):
        if tok.ent_type_ in {"GPE", "LOC", "FAC"} and _locative(tok):
            return None
        # A name used as a modifier of a common noun keeps its noun: "Halvorsen share", "Lancashire plant".
        node = tok
        while node.dep_ == "compound" and node.head.pos_ == "PROPN" and node.head.i > node.i:
            node = node.head
        if node.dep_ == "compound" and node.head.pos_ == "NOUN" and node.head.i > node.i:
            return clean_name(tok.doc[tok.i : node.head.i + 1].text)
        cluster = index.cluster_at(tok)
        if cluster is not None:
            return cluster.name
        if tok.ent_type_:
            ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
            if ent is not None:
                return index.canonical(ent.text)
        return index.canonical(tok.text)
    return None


def _pronoun_target(tok: Token, index: EntityIndex, anchor: int, exclude: set[str], quoted: bool) -> str | None:
    low = tok.lower_
    if low in FIRST_SECOND:
        return None
    if low in PERSON_PRONOUNS:
        if not quoted or low in {"his", "hers", "himself", "herself"} or (low == "her" and tok.dep_ == "poss"):
            return None  # in reported speech "he"/"his" is the speaker: not what the content is about
        m = index.resolve(anchor, "person", exclude, PERSON_PRONOUNS[low])
    elif low in PLURAL_PRONOUNS or low in IT_PRONOUNS:
        m = None  # "it"/"they" inside a quote mostly refer to events or groups: leave to the topic noun phrase
    else:
        return None
    return m.cluster.name if m else None


def _noun_phrase(tok: Token, index: EntityIndex) -> str | None:
    """The topic noun phrase: compounds and possessors left of the head (no determiner, number or adjective);
    a quantity head gives way to what it counts ('every member of the staff' -> the staff)."""
    if tok.lower_ in FIRST_SECOND or tok.pos_ == "PRON":
        return None
    if tok.lemma_.lower() in _QUANTIFIER_HEADS or tok.ent_type_ in _SKIP_ENTS:
        of = next((c for c in tok.rights if c.dep_ == "prep" and c.lower_ == "of"), None)
        obj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        if obj is not None:
            return _noun_phrase(obj, index)
        if tok.ent_type_ in _SKIP_ENTS:
            return None
    poss = next((c for c in tok.children if c.dep_ == "poss"), None)
    if poss is not None and poss.pos_ != "PRON":
        owner = _entity_name(poss, index)
        if owner is None and poss.pos_ == "NOUN":
            pdet = next((c for c in poss.children if c.dep_ == "det"), None)
            cluster = index.by_role(poss.idx, poss.lemma_.lower()) if pdet is not None else None
            owner = cluster.name if cluster is not None else None
        if owner is not None:
            return owner  # "the company's scientists" is about the company
    det = next((c for c in tok.children if c.dep_ == "det"), None)
    if det is not None and det.lower_ in _DEFINITE:
        cluster = index.by_role(tok.idx, tok.lemma_.lower())
        if cluster is not None:
            return cluster.name  # "the bridge" -> Tollgate Bridge, "the striker" -> Tomás Echeverri
    left = [c for c in tok.lefts if c.dep_ in _KEEP_LEFT]
    if any(c.dep_ == "poss" and c.lower_ in FIRST_SECOND for c in left):
        return None  # "our engineers": the speaker's own side; the object says more
    left = [c for c in left if not (c.dep_ == "poss" and c.pos_ == "PRON")]
    start = min((c.left_edge.i for c in left), default=tok.i)
    return clean_name(tok.doc[start : tok.i + 1].text) or None


def pick_target(
    tokens: Sequence[Token], index: EntityIndex, speaker: str | None, anchor: int, quoted: bool
) -> str | None:
    """The target of a content given as its tokens (in order). ``anchor``: where pronouns are resolved from;
    ``quoted``: the content is the speaker's own words (a direct quotation)."""
    if not tokens:
        return None
    exclude = {speaker.lower()} if speaker else set()
    inside = {t.i for t in tokens}
    roots = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]

    def named(tok: Token) -> str | None:
        if tok.pos_ == "PRON":
            return _pronoun_target(tok, index, anchor, exclude, quoted)
        return _entity_name(tok, index)

    # 1. the subject of the content's main clause, when it is an entity
    for root in roots:
        for subj in (c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"} and c.i in inside):
            for cand in [subj, *(c for c in subj.children if c.dep_ == "conj")]:
                name = named(cand)
                if name is None and cand.pos_ == "NOUN":
                    phrase = _noun_phrase(cand, index)
                    if phrase is not None and phrase.lower() in index.clusters:
                        name = phrase
                if name and name.lower() not in exclude:
                    return name
    # 2. the first entity (or third-person pronoun) mentioned in the content
    for tok in tokens:
        name = named(tok)
        if name and name.lower() not in exclude:
            return name
    # 3. the topic noun phrase: subject, else object, else the first noun
    for root in roots:
        for dep in ("nsubj", "nsubjpass", "dobj", "attr", "pobj"):
            for cand in (c for c in root.subtree if c.dep_ == dep and c.i in inside and c.pos_ in _NOUNISH):
                phrase = _noun_phrase(cand, index)
                if phrase:
                    return phrase
    for tok in tokens:
        if tok.pos_ in _NOUNISH:
            phrase = _noun_phrase(tok, index)
            if phrase:
                return phrase
    # 4. nothing in the words themselves ("That’s simply not true."): the article's main organisation or place
    topic = index.topic(exclude)
    return topic.name if topic is not None else None
