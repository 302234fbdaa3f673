"""Who a quote's pronouns can stand for, read off the whole article once: entity kinds, genders, affiliations.

The claims stage replaces "I", "we", "he" or "it" only when the article says who that is (claims.py). This module
gathers the evidence. It reuses the annotate stage's entity clusters (``EntityIndex``) and adds what claims need
beyond them: a gender for people the article itself refers to with he/she (outside quotation marks), whether a
speaker is a person, an organisation or a plural group, and the organisation a speaker speaks for ("Miriam
Coldwell, Halvorsen's chief executive" -> Halvorsen): the only reading of "we" safe enough to write down.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from quotecontra.annotate.speakers import ORG_WORDS, PERSON_PRONOUNS, Cluster, EntityIndex, clean_name, strip_titles

# Roles whose holder says "we" for the organisation; a nurse or a driver saying "we" means colleagues, not the employer.
_REPRESENTATIVE_ROLES_WORDS = """spokesperson spokesman spokeswoman executive ceo director chair chairman chairwoman chairperson president
    secretary minister leader head manager organiser organizer official representative founder owner boss
    treasurer governor commissioner principal"""
REPRESENTATIVE_ROLES = frozenset(_REPRESENTATIVE_ROLES_WORDS.split())
_COMPANY_WORD_LIST = """air airways airlines aviation labs devices dairies components holdings homes buses telecom biologics
    securities investors partners capital works motors energy pharma media systems technologies foods logistics
    automotive industries properties ventures solutions insights research guild water rail freight gas power
    shipping airport airports mining"""
_COMPANY_WORDS = frozenset(_COMPANY_WORD_LIST.split())
_ORGISH = ORG_WORDS | _COMPANY_WORDS
_ORG_ROLES_WORDS = """company firm operator airline maker carrier processor developer business builder lender insurer club
    charity start-up startup manufacturer supplier retailer chain regulator watchdog broadcaster"""
_ORG_ROLES = frozenset(_ORG_ROLES_WORDS.split())
_PERSON_ROLES_WORDS = """mr mrs ms dr professor councillor mayor analyst lawyer economist nurse driver farmer teacher resident
    parent coach player striker runner doctor engineer worker researcher chief captain steward pilot author
    campaigner founder mother father son daughter husband wife child boy girl"""
_PERSON_ROLES = REPRESENTATIVE_ROLES | frozenset(_PERSON_ROLES_WORDS.split())
_CALENDAR_WORDS = """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday christmas easter"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
_LEADS = frozenset({"chair", "lead", "head", "run", "represent", "found", "own", "manage"})


def _role(tok) -> bool:
    """A representative role word ("executive", "co-founder", "spokeswoman")."""
    return tok.lemma_.lower().split("-")[-1] in REPRESENTATIVE_ROLES


# Plural descriptions that speak as "they" in reported speech: "officials said they were working ...".
_PLURAL_HEAD = re.compile(r"(?<!s)s$|^(?:police|people|staff)$", re.IGNORECASE)
_DESCRIPTION_CUT = re.compile(r"\s+(?:at|of|in|for|from|with|on|close|familiar|who|which)\b.*$", re.IGNORECASE)
_QUOTED = re.compile(r"\u201c[^\u201d]*\u201d|\"[^\"\n]*\"")


@dataclass(frozen=True)
class Speaker:
    """What the article says about a quote's speaker."""

    name: str | None
    kind: str | None  # person | org | group | place | None (a description or unknown)
    gender: str | None
    plural: bool  # a plural description ("officials"): the "they" of its own reported speech
    org: str | None  # the organisation its "we" stands for


def is_name(text: str | None) -> bool:
    """A proper name (every content word capitalised): safe to stand in for a pronoun."""
    if not text:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", text) if w.lower() not in {"of", "the", "and", "de", "van"}]
    return bool(words) and all(w[0].isupper() for w in words) and len(words) <= 5


class ArticleRefs:
    """Entity evidence of one parsed article, for the claims of its quotes."""

    def __init__(self, doc, quotes=()) -> None:  # doc: spaCy Doc of the article text; quotes: its Quote records
        self.doc = doc
        self.index = EntityIndex(doc)
        self._quoted = [m.span() for m in _QUOTED.finditer(doc.text)]
        self._quoted_starts = [s for s, _ in self._quoted]
        quotes = list(quotes)
        self.quotes = quotes
        first = doc.text.lstrip().split("\n", 1)[0].rstrip()
        # a headline ("Union Disputes Job Losses") is no sentence: NER's names there are not evidence
        self._body = len(doc.text) - len(doc.text.lstrip()) + len(first) if first[-1:] not in '.!?\u201d"' else 0
        self._says_i = {q.speaker for q in quotes if q.type == "direct" and re.search(r"\b(?:I|my|me)\b", q.text)}
        self._says_it = {q.speaker for q in quotes if q.type != "direct" and re.match(r"(?i)its?\b", q.text.strip())}
        self._infer_genders(quotes)

    # ---- lookup ---------------------------------------------------------------------------------------------
    def cluster(self, name: str | None) -> Cluster | None:
        """The article entity a canonical name (or a surname of one) belongs to."""
        if not name:
            return None
        words, _ = strip_titles(clean_name(name).split())
        key = " ".join(words).lower()
        if key in self.index.clusters:
            return self.index.clusters[key]
        canon = self.index.canonical(name).lower()
        return self.index.clusters.get(canon)

    def _inside_quote(self, char: int) -> bool:
        i = bisect.bisect_right(self._quoted_starts, char) - 1
        return i >= 0 and self._quoted[i][0] <= char < self._quoted[i][1]

    # ---- gender ---------------------------------------------------------------------------------------------
    def _infer_genders(self, quotes) -> None:
        """Gender from the article's own he/she: pronoun speakers of quote frames ("...," he said), and he/she after
        a person who is the only one named in the sentence (unless a he/she before the name points elsewhere:
        "Her coach, Mátyás Kereki, said she ...")."""
        votes: dict[str, Counter[str]] = {}
        text = self.doc.text
        for q in quotes:
            if q.speaker_span and q.speaker:
                said = text[q.speaker_span[0] : q.speaker_span[1]].lower()
                cl = self.cluster(q.speaker)
                if said in PERSON_PRONOUNS and cl is not None and not {w.lower() for w in cl.name.split()} & _ORGISH:
                    votes.setdefault(cl.key, Counter())[PERSON_PRONOUNS[said]] += 2
        starts = [m.start for m in self.index.mentions]
        for sent in self.doc.sents:
            lo, hi = bisect.bisect_left(starts, sent.start_char), bisect.bisect_left(starts, sent.end_char)
            people = [m for m in self.index.mentions[lo:hi] if m.cluster.kind == "person"]
            if len({m.cluster.key for m in people}) != 1:
                continue
            first = people[0]
            # subjects and possessives: an object ("has represented him") is mostly someone else
            gendered = [
                t
                for t in sent
                if t.lower_ in PERSON_PRONOUNS
                and (t.dep_ in {"nsubj", "nsubjpass"} or t.tag_ == "PRP$")
                and not self._inside_quote(t.idx)
            ]
            if any(t.idx < first.start for t in gendered):
                continue
            for t in gendered:
                votes.setdefault(first.cluster.key, Counter())[PERSON_PRONOUNS[t.lower_]] += 1
        for key, c in votes.items():
            cl = self.index.clusters.get(key)
            if cl is None or cl.gender is not None or len(cl.name.split()) < 2:
                continue  # a one-word "person" is as often a company ("Northfold") as a surname
            m, f = c["m"], c["f"]
            if m > 2 * f:
                cl.gender = "m"
            elif f > 2 * m:
                cl.gender = "f"

    # ---- speakers -------------------------------------------------------------------------------------------
    def _family(self, name: str) -> list[Cluster]:
        """The clusters a person-like name may be split over: NER often files "Lukas Ebersbach" apart from
        "Ebersbach", and as an organisation."""
        cl = self.cluster(name)
        words = clean_name(name).split()
        fam = [cl] if cl is not None else []
        if not words:
            return fam
        for c in {id(c): c for c in self.index.clusters.values()}.values():
            parts = c.name.split()
            same = c is not cl and len(parts) > 1 and parts[-1].lower() == words[-1].lower()
            if same and not {w.lower() for w in parts} & _ORGISH:
                fam.append(c)
        return fam

    def _who(self, fam: list[Cluster]) -> bool:
        """'Fergus Dalgleish, who chairs ...': a relative 'who' makes a person."""
        keys = {c.key for c in fam}
        for m in self.index.mentions:
            if m.cluster.key in keys:
                for c in self.doc[m.token].children:
                    if c.dep_ == "relcl" and any(w.lower_ == "who" for w in c.children):
                        return True
        return False

    def speaker(self, name: str | None) -> Speaker:
        """Kind, gender, plurality and affiliation of a speaker as the record names it.

        The entity index's kind is only a hint (NER calls "Ewan Lachlan" an organisation and "Northfold" a
        person), so the kind here weighs the article's own evidence: organisation words in the name, he/she, role
        words, a "who", the speaker saying "I", or "<speaker> said it would ...".
        """
        if not name:
            return Speaker(None, None, None, False, None)
        cl = self.cluster(name)
        fam = self._family(name) if is_name(name) else ([cl] if cl else [])
        gender = next((c.gender for c in fam if c.gender), None)
        kind, sure = self._kind(name, cl, fam, gender)
        if kind in {"org", "group", "place"} and not sure:
            kind = None  # NER's label alone: "Helena Voss" is no organisation for want of evidence
        head = _DESCRIPTION_CUT.sub("", name).split()
        plural = kind is None and bool(head) and bool(_PLURAL_HEAD.search(head[-1])) and not head[-1][:1].isupper()
        org: str | None
        if kind in {"org", "group"}:
            org = cl.name if cl is not None and len(cl.name) >= len(name) else name
        elif kind == "person":
            org = self.affiliation(fam)
        else:
            org = self._org_in_description(name)
        return Speaker(name, kind, gender, plural, org)

    def _kind(self, name: str, cl: Cluster | None, fam: list[Cluster], gender: str | None) -> tuple[str | None, bool]:
        """(kind, whether the article gives evidence for it beyond NER's label)."""
        if not is_name(name) or name.lower() in _CALENDAR:
            return None, False
        words = {w.lower().strip(".,") for w in name.split()}
        roles: set[str] = set().union(*(c.roles for c in fam)) if fam else set()
        if words & _ORGISH:
            return "org", True
        if gender or roles & _PERSON_ROLES or name in self._says_i or self._who(fam):
            return "person", True
        if roles & _ORG_ROLES or name in self._says_it:
            return "org", True
        return (cl.kind if cl is not None else None), False

    def _kind_of(self, cl: Cluster) -> tuple[str | None, bool]:
        fam = self._family(cl.name)
        return self._kind(cl.name, cl, fam, next((c.gender for c in fam if c.gender), None))

    def _is_org(self, cl: Cluster) -> bool:
        return self._kind_of(cl)[0] in {"org", "group"}

    def _plausible_org(self, cl: Cluster) -> bool:
        """In a representative's role phrase a name is the organisation unless the article makes it a person or
        NER a place ("The Guild's general secretary, Sinéad Farrow, addressed staff at the Limerick centre")."""
        kind, evidence = self._kind_of(cl)
        return kind != "place" and not (kind == "person" and evidence)

    def _is_person(self, cl: Cluster) -> bool:
        """A person safe to name for he/she: NER's one-word "people" are as often companies ("Halvorsen")."""
        kind, evidence = self._kind_of(cl)
        return kind == "person" and (evidence or len(cl.name.split()) > 1)

    def _full_org(self, word: str) -> str | None:
        """ "Council" -> "Brackenford Borough Council": the article's most mentioned organisation with that word."""
        counts = Counter(
            m.cluster.name
            for m in self.index.mentions
            if m.start >= self._body and len(m.cluster.name.split()) > 1 and word in m.cluster.roles
        )
        return counts.most_common(1)[0][0] if counts else None

    def _org_in_description(self, text: str) -> str | None:
        """ "a Halvorsen spokesperson" -> Halvorsen: a representative's description naming an organisation."""
        if not {w.strip(",.") for w in text.lower().split()} & REPRESENTATIVE_ROLES:
            return None
        best = None
        for cl in self.index.clusters.values():
            longer = best is None or len(cl.name) > len(best)
            if longer and self._plausible_org(cl) and re.search(rf"\b{re.escape(cl.name)}\b", text):
                best = cl.name
        return best

    def affiliation(self, fam: list[Cluster]) -> str | None:
        """The organisation a person represents: named in an appositive ("Gareth Pennock, Northfold's chief
        executive"), a title before the name ("Council leader Hugh Tansley") or "who chairs ..."; a representative
        title naming none ("said chief executive Ewan Lachlan") means the article's dominant organisation."""
        doc, keys = self.doc, {c.key for c in fam}
        titled = False
        for m in self.index.mentions:
            if m.cluster.key not in keys:
                continue
            head = doc[m.token]
            roles = [c for c in head.children if c.dep_ == "appos"]
            if head.dep_ == "appos":
                roles.append(head.head)
            roles += [c for r in roles for c in r.children if c.dep_ == "conj"]  # "co-founder and chief executive"
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            own = range(span.start, span.end) if span is not None else range(head.i, head.i + 1)
            # the role words' own phrases, and a name set beside them ("Lumora's co-founder", parsed as two appositions)
            picked = [r for r in roles if _role(r) or (r.pos_ == "PROPN" and any(_role(x) for x in roles))]
            pool = [t for r in picked for t in r.subtree if t.i not in own]
            pool += [t for c in head.children if c.dep_ == "relcl" and c.lemma_.lower() in _LEADS for t in c.subtree]
            j = own.start - 1
            left = []
            while j >= 0 and doc[j].dep_ in {"compound", "amod", "nmod", "poss", "case", "det"} and doc[j].head.i > j:
                left.append(doc[j])
                j -= 1
            if any(_role(t) for t in left):
                pool += left
            titled = titled or bool(pool)
            for t in pool:
                org = self._org_at(t, keys)
                if org:
                    return org
        return self._dominant_org() if titled else None

    def _org_at(self, t, keys: set[str]) -> str | None:
        """The organisation a token of a role phrase names: a name, "the trust", or "its" (the latest org)."""
        if t.lower_ == "its":
            m = self.index.resolve(t.idx, "org")
            return m.cluster.name if m is not None and self._is_org(m.cluster) else None
        cl = self.index.cluster_at(t)
        if cl is not None and cl.key not in keys and cl.name.lower() not in _CALENDAR and self._plausible_org(cl):
            # a name in a representative's role phrase is the organisation unless the article makes it a person
            return self._full_org(cl.key) if cl.key in _ORGISH else cl.name
        if (
            cl is None
            and t.pos_ == "NOUN"
            and t.lower_ in ORG_WORDS
            and any(c.dep_ in {"det", "poss"} for c in t.children)
        ):
            return self._full_org(t.lower_)  # "the trust's chief executive"
        return None

    def _dominant_org(self) -> str | None:
        """The organisation the article is about, when one clearly dominates its mentions."""
        counts = Counter(
            m.cluster.key
            for m in self.index.mentions
            if m.start >= self._body and self._kind_of(m.cluster) == ("org", True)
        )
        ranked = counts.most_common(2)
        if not ranked or ranked[0][1] < 3 or (len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]):
            return None
        return self.index.clusters[ranked[0][0]].name

    # ---- third persons --------------------------------------------------------------------------------------
    def person(self, pos: int, gender: str | None, exclude: set[str], target: str | None) -> str | None:
        """He/she in direct speech: the target when it is a person of that gender, else the most salient person
        before the quote (subjects of the latest sentences first) who is not the speaker."""
        t = self.cluster(target)
        if t is not None and self._is_person(t) and t.key not in exclude and (not gender or t.gender in {None, gender}):
            return t.name
        known = t is None or (t.key not in exclude and (not gender or t.gender in {None, gender}))
        if target and known and target.lower() not in exclude:
            # the record's target as a full name ("Vladimir Putin", where the article writes "Putin"), unless
            # the article makes it an organisation
            words = target.split()
            full = is_name(target) and len(words) > 1 and not {w.lower() for w in words} & _ORGISH
            if full and (t is None or self._kind_of(t) != ("org", True)):
                return target
        skip = set(exclude) | {c.key for c in self.index.clusters.values() if not self._is_person(c)}
        m = self.index.resolve(pos, "person", skip, gender, lookback_chars=1500)
        return m.cluster.name if m is not None else None

    def gender_of(self, name: str | None) -> str | None:
        cl = self.cluster(name)
        return cl.gender if cl is not None else None

    def is_person(self, name: str | None) -> bool:
        cl = self.cluster(name)
        return cl is not None and cl.kind == "person"
