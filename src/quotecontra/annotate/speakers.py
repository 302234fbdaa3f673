"""Speakers: mentions, in-article entity clusters, canonical names, and pronoun/nominal resolution.

spaCy's small model labels people as ORG ("Trump") and organisations as PERSON often enough that the label is
only a hint: a one-word name that is the surname of a longer person name in the same article joins that person,
whatever its label.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

_TITLE_WORDS = """mr mrs ms miss mx dr prof professor sir dame lord lady president vice prime minister secretary senator sen rep
    representative governor gov mayor councillor councilor cllr chancellor judge justice chief executive spokesperson
    spokesman spokeswoman deputy general gen col colonel lt lieutenant captain capt sgt sergeant officer commissioner
    director chair chairman chairwoman chairperson ceo king queen prince princess pope father rev reverend bishop
    ambassador envoy foreign defence defense interior finance health home justice education transport state
    assemblyman assemblywoman congressman congresswoman coach inspector superintendent detective dean leader
    alderman alderwoman treasurer mp mep"""
TITLES = frozenset(_TITLE_WORDS.split())
_ORG_WORDS = """trust union council ministry department company inc ltd llc plc corp corporation party committee hospital clinic
    association group agency authority board bank university college school office government commission court
    institute foundation society federation league club church police service services network organisation
    organization assembly parliament senate congress kremlin house centre center fund partners alliance coalition
    network press times news post"""
ORG_WORDS = frozenset(_ORG_WORDS.split())
# Nouns a reporter uses for a business named earlier ("Norvane ... the company said"): they stand for the latest
# organisation that is not a public body, since a council, ministry, union or party has a word of its own.
_BUSINESS_NOUNS = """company firm business airline carrier bank lender insurer retailer chain operator manufacturer
    maker supplier developer startup brewer publisher broadcaster utility provider group"""
BUSINESS_NOUNS = frozenset(_BUSINESS_NOUNS.split())
_PUBLIC_BODIES = """trust union council ministry department party committee hospital clinic agency authority board
    university college school office government commission court institute foundation society federation league club
    church police parliament senate congress assembly kremlin"""
_PUBLIC_BODY_WORDS = frozenset(_PUBLIC_BODIES.split())
PERSON_PRONOUNS = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
}
PLURAL_PRONOUNS = frozenset({"they", "them", "their", "theirs", "themselves"})
IT_PRONOUNS = frozenset({"it", "its", "itself"})
FIRST_SECOND = frozenset({"i", "me", "my", "mine", "we", "us", "our", "ours", "you", "your", "yours", "myself"})
FEMALE_TITLES = frozenset({"mrs", "ms", "miss", "dame", "lady", "queen", "princess", "spokeswoman", "chairwoman"})
MALE_TITLES = frozenset({"mr", "sir", "lord", "king", "prince", "spokesman", "chairman", "father"})
NAME_ENTS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
SUBJ_DEPS = frozenset({"nsubj", "nsubjpass"})
_POSS_RX = re.compile(r"(?:['’]s|['’])$")
_BRACKETS_RX = re.compile(r"[\[\]()]")
_SPACE_RX = re.compile(r"\s+")


def clean_name(text: str) -> str:
    """'Kremlin spokesperson Dmitry Peskov’s' -> 'Kremlin spokesperson Dmitry Peskov' (titles go in strip_titles)."""
    text = _BRACKETS_RX.sub("", text)
    text = _SPACE_RX.sub(" ", text).strip(" ,.;:—–-\"'“”‘’")
    text = _POSS_RX.sub("", text).strip()
    if text.lower().startswith("the ") and len(text.split()) > 1 and text.split()[1][:1].isupper():
        text = text[4:]
    return text


def _is_dateline(span: Span) -> bool:
    """'LAUSANNE, 14 March —': an upper-case place opening a paragraph is a dateline, not a discourse entity."""
    first = span[0]
    at_line_start = first.i == 0 or "\n" in first.doc[first.i - 1].text_with_ws
    return at_line_start and span.text.isupper() and len(span.text) > 3


def strip_titles(words: list[str]) -> tuple[list[str], list[str]]:
    """Leading titles and role words off a name: ['Councillor', 'Bridget', 'Okonjo'] -> (['Bridget', 'Okonjo'], ...)."""
    titles = []
    while len(words) > 1 and (words[0].lower().rstrip(".") in TITLES or not words[0][:1].isupper()):
        titles.append(words.pop(0))
    return words, titles


@dataclass
class Cluster:
    """One entity of the article: its canonical (fullest) name, its kind and the words that may refer to it."""

    name: str
    kind: str  # person | org | place | group
    roles: set[str] = field(default_factory=set)
    gender: str | None = None

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass
class Mention:
    start: int  # char offset
    end: int
    token: int  # head token index
    cluster: Cluster
    subject: bool


def _kind_from_label(label: str, words: list[str]) -> str:
    if any(w.lower() in ORG_WORDS for w in words):
        return "org"
    if label == "PERSON":
        return "person"
    if label in {"GPE", "LOC", "FAC"}:
        return "place"
    if label == "NORP":
        return "group"
    return "org"


class EntityIndex:
    """Entity clusters of one Doc and their mentions in text order, for canonical names and resolution."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.clusters: dict[str, Cluster] = {}
        self._by_surname: dict[str, Cluster] = {}
        self.mentions: list[Mention] = []
        self._build()
        self._starts = [m.start for m in self.mentions]

    # ---- building -------------------------------------------------------------------------------------------
    def _name_spans(self) -> Iterable[tuple[Span, str]]:
        """Entity spans, plus runs of proper nouns that the NER missed."""
        covered: set[int] = set()
        doc = self.doc
        for ent in doc.ents:
            if ent.label_ in NAME_ENTS:
                start = ent.start
                # NER often leaves out a first name or the first word of an organisation: "Dmitry [Peskov]".
                while (
                    start > 0
                    and doc[start - 1].pos_ == "PROPN"
                    and doc[start - 1].text[:1].isupper()
                    and doc[start - 1].lower_.rstrip(".") not in TITLES
                    and doc[start - 1].ent_type_ in {"", ent.label_}
                ):
                    start -= 1
                if _is_dateline(doc[start : ent.end]):
                    continue
                covered.update(range(start, ent.end))
                yield doc[start : ent.end], ent.label_
        run: list[Token] = []
        for tok in [*self.doc, None]:
            if tok is not None and tok.pos_ == "PROPN" and tok.i not in covered and tok.text[:1].isupper():
                run.append(tok)
                continue
            if run:
                span = self.doc[run[0].i : run[-1].i + 1]
                if not _is_dateline(span):
                    yield span, ""
                run = []

    def _build(self) -> None:
        raw: list[tuple[Span, list[str], list[str], str]] = []
        for span, label in self._name_spans():
            words = clean_name(span.text).split()
            if not words:
                continue
            words, titles = strip_titles(words)
            if label == "NORP" or not words[0][:1].isupper() or all(w.lower() in TITLES for w in words):
                continue
            raw.append((span, words, titles, _kind_from_label(label, words)))
        # Fullest names first, so that surnames attach to the person they abbreviate.
        for _span, words, titles, kind in sorted(raw, key=lambda r: -len(r[1])):
            self._cluster_for(words, kind, titles)
        for span, words, _titles, kind in raw:
            cluster = self._cluster_for(words, kind, [])
            head = span.root
            subj = head.dep_ in SUBJ_DEPS or (head.dep_ == "conj" and head.head.dep_ in SUBJ_DEPS)
            self.mentions.append(Mention(span.start_char, span.end_char, head.i, cluster, subj))
            # Appositive or preceding role nouns: "Gareth Pennock, the union’s regional secretary".
            for child in head.children:
                if child.dep_ == "appos" and child.pos_ == "NOUN":
                    cluster.roles.add(child.lemma_.lower())
            if head.dep_ == "appos" and head.head.pos_ == "NOUN":
                cluster.roles.add(head.head.lemma_.lower())
            # "The middle-distance runner Ines Varga", "the CVX-204 trial": the noun beside the name is a role.
            before = self.doc[span.start - 1] if span.start > 0 else None
            if before is not None and before.pos_ == "NOUN" and before.dep_ == "compound":
                cluster.roles.add(before.lemma_.lower())
            if head.dep_ == "compound" and head.head.pos_ == "NOUN" and head.head.i >= span.end:
                cluster.roles.add(head.head.lemma_.lower())
        self.mentions.sort(key=lambda m: m.start)

    def _cluster_for(self, words: list[str], kind: str, titles: list[str]) -> Cluster:
        name = " ".join(words)
        key = name.lower()
        if key in self.clusters:
            cluster = self.clusters[key]
        elif len(words) == 1 and key in self._by_surname:
            cluster = self._by_surname[key]  # "Trump" -> "Donald Trump", whatever NER called it
        elif len(words) == 1 and kind == "org" and key.upper() == name and self._acronym(key):
            cluster = self._acronym(key)  # type: ignore[assignment]
        else:
            cluster = Cluster(name, kind)
            self.clusters[key] = cluster
            if kind == "person" and len(words) > 1:
                self._by_surname.setdefault(words[-1].lower(), cluster)
        self.clusters.setdefault(key, cluster)
        if kind == "person" and cluster.kind != "person" and len(words) > 1:
            cluster.kind = "person"
        cluster.roles.update(w.lower() for w in words if kind != "person")
        cluster.roles.update(t.lower().rstrip(".") for t in titles)
        lowered = {t.lower().rstrip(".") for t in titles}
        if lowered & FEMALE_TITLES:
            cluster.gender = "f"
        elif lowered & MALE_TITLES:
            cluster.gender = "m"
        return cluster

    def _acronym(self, key: str) -> Cluster | None:
        for cluster in self.clusters.values():
            initials = "".join(w[0] for w in cluster.name.split() if w[:1].isupper()).lower()
            if len(initials) > 1 and initials == key:
                return cluster
        return None

    # ---- lookup ---------------------------------------------------------------------------------------------
    def canonical(self, name: str) -> str:
        """The fullest in-article name for a name as written; unknown names come back cleaned."""
        words = clean_name(name).split()
        if not words:
            return name
        words, _ = strip_titles(words)
        key = " ".join(words).lower()
        if key in self.clusters:
            return self.clusters[key].name
        if words[-1].lower() in self._by_surname and len(words) <= 2:
            return self._by_surname[words[-1].lower()].name
        return " ".join(words)

    def mention_at(self, token: Token) -> Mention | None:
        i = bisect.bisect_right(self._starts, token.idx) - 1
        while i >= 0 and self.mentions[i].end > token.idx:
            m = self.mentions[i]
            if m.start <= token.idx < m.end:
                return m
            i -= 1
        return None

    def cluster_at(self, token: Token) -> Cluster | None:
        m = self.mention_at(token)
        return m.cluster if m is not None else None

    def resolve(
        self,
        pos: int,
        want: str,
        exclude: set[str] | frozenset[str] = frozenset(),
        gender: str | None = None,
        lookback_chars: int = 3000,
        subjects_only_after: int | None = None,
    ) -> Mention | None:
        """The most salient compatible entity mentioned before ``pos``: recent sentences first, subjects first.

        ``want``: person | org | any. ``subjects_only_after``: between that offset and ``pos`` only subjects count
        (pronouns inside a quotation refer back past the quote's own attribution frame).
        """
        hi = bisect.bisect_left(self._starts, pos)
        lo = bisect.bisect_left(self._starts, pos - lookback_chars)
        candidates = [m for m in self.mentions[lo:hi] if self._compatible(m.cluster, want, exclude, gender)]
        if subjects_only_after is not None:
            candidates = [m for m in candidates if m.start < subjects_only_after or m.subject]
        if not candidates:
            return None
        sent_of = {m.token: self.doc[m.token].sent.start for m in candidates}
        best_sent = max(sent_of.values())
        # Within the most recent sentence with a candidate, a subject beats a closer oblique mention.
        in_sent = [m for m in candidates if sent_of[m.token] == best_sent]
        subjects = [m for m in in_sent if m.subject]
        return (subjects or in_sent)[-1] if not subjects else subjects[0]

    @staticmethod
    def _compatible(cluster: Cluster, want: str, exclude: set[str] | frozenset[str], gender: str | None) -> bool:
        if cluster.key in exclude:
            return False
        if want == "person" and cluster.kind != "person":
            return False
        if want == "org" and cluster.kind not in {"org", "group"}:
            return False
        if want == "org-or-place" and cluster.kind not in {"org", "place", "group"}:
            return False
        return not (gender and cluster.gender and cluster.gender != gender)

    def topic(self, exclude: set[str] | frozenset[str] = frozenset()) -> Cluster | None:
        """The article's most mentioned organisation or place: what an otherwise topic-less quote is about."""
        counts: dict[str, int] = {}
        for m in self.mentions:
            if m.cluster.kind != "person" and m.cluster.key not in exclude:
                counts[m.cluster.key] = counts.get(m.cluster.key, 0) + 1
        if not counts:
            return None
        best = max(counts, key=lambda k: counts[k])
        return self.clusters[best] if counts[best] >= 2 else None

    def business_before(self, pos: int, lookback_chars: int = 3000) -> Cluster | None:
        """'the company' -> Norvane: the organisation last seen as a subject before ``pos``, not a public body.

        Only subjects count: the company a story is about acts in its sentences ("Lumora Labs has raised ...
        in a round led by Vantage Hollow Capital, the company said" is Lumora's statement).
        """
        hi = bisect.bisect_left(self._starts, pos)
        lo = bisect.bisect_left(self._starts, pos - lookback_chars)
        for m in reversed(self.mentions[lo:hi]):
            c = m.cluster
            if m.subject and c.kind == "org" and not (set(c.key.split()) | c.roles) & _PUBLIC_BODY_WORDS:
                return c
        return None

    def by_role(self, pos: int, role: str) -> Cluster | None:
        """'the trust' -> Westmere Health Trust: the latest entity before ``pos`` whose name or role has the word."""
        hi = bisect.bisect_left(self._starts, pos)
        for m in reversed(self.mentions[:hi]):
            if role in m.cluster.roles:
                return m.cluster
        return None
