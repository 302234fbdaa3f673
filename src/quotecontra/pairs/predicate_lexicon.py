"""The curated predicate lexicon (``resources/predicates.tsv``) and the word forms its rewrites need.

Kept apart from :mod:`contrast` (which matches and rewrites parsed clauses) so the resource format, its
validation and the inflection helpers can be read and tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from quotecontra.pairs.morphology import IRREGULAR, inflect

# Irregular forms of lexicon verbs missing from perturb.IRREGULAR: lemma -> (past, past participle).
EXTRA_IRREGULAR: dict[str, tuple[str, str]] = {
    "wind": ("wound", "wound"),
    "throw": ("threw", "thrown"),
    "stick": ("stuck", "stuck"),
    "uphold": ("upheld", "upheld"),
    "shed": ("shed", "shed"),
    "slide": ("slid", "slid"),
    "quit": ("quit", "quit"),
    "split": ("split", "split"),
    "dig": ("dug", "dug"),
    "overrun": ("overran", "overrun"),
    "scrap": ("scrapped", "scrapped"),
    "overpay": ("overpaid", "overpaid"),
    "underpay": ("underpaid", "underpaid"),
    "rubber-stamp": ("rubber-stamped", "rubber-stamped"),
}
_PLURAL = {
    "hero": "heroes",
    "crisis": "crises",
    "analysis": "analyses",
    "child": "children",
    "person": "people",
    "man": "men",
    "woman": "women",
    "foot": "feet",
}


@dataclass(frozen=True)
class Entry:
    src: tuple[str, ...]  # words as written; "_" is the object slot; for DET: (plural form, mass form)
    tgt: tuple[str, ...]
    pos: str
    kind: str  # "contrary" | "contradictory"
    use: str
    # VERB: lemmas the object (passive subject; subject without object) must have; NOUN: lemmas of the verb
    # governing the noun (a copula always qualifies). Empty: any.
    only: frozenset[str] = frozenset()


def _words(phrase: str) -> tuple[str, ...]:
    """Lexicon phrase -> tokens as spaCy splits them ("loss-making" -> loss, -, making)."""
    return tuple(w for w in re.split(r"\s+|(?=-)|(?<=-)", phrase.strip()) if w)


def parse_lexicon(text: str, name: str = "predicates.tsv") -> list[Entry]:
    """Entries in both directions; a malformed line or an undefined object class raises ValueError naming it."""
    out: list[Entry] = []
    classes: dict[str, frozenset[str]] = {}
    allowed = {"VERB": "TI*", "ADJ": "PA", "NOUN": "*", "DET": "*"}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if line.startswith("@"):
            if len(fields) != 2 or not fields[1].split():
                raise ValueError(f"{name} line {n}: a class line is '@name<TAB>lemma lemma ...': {line!r}")
            classes[fields[0][1:]] = frozenset(fields[1].split())
            continue
        if len(fields) != 5:
            raise ValueError(f"{name} line {n}: expected 5 tab-separated fields, got {len(fields)}: {line!r}")
        a, b, pos, kind, use = fields
        use, _, cls = use.partition(":")
        if pos not in allowed or kind not in {"contrary", "contradictory"} or use not in allowed[pos]:
            raise ValueError(f"{name} line {n}: bad pos/kind/use {pos!r}/{kind!r}/{use!r}")
        if cls and cls not in classes:
            raise ValueError(f"{name} line {n}: object class {cls!r} is not defined above it (@{cls})")
        only = classes.get(cls, frozenset())
        if pos == "DET":
            sa, sb = tuple(a.split("/")), tuple(b.split("/"))
            if len(sa) != 2 or len(sb) != 2:
                raise ValueError(f"{name} line {n}: DET sides must be 'plural/mass', got {a!r}, {b!r}")
        else:
            sa, sb = _words(a), _words(b)
        out += [Entry(sa, sb, pos, kind, use, only), Entry(sb, sa, pos, kind, use, only)]
    return out


@lru_cache(maxsize=1)
def predicate_lexicon() -> dict[str, list[Entry]]:
    """pos (and "ADJ-A" for attributive adjectives) -> entries, both directions, from resources/predicates.tsv."""
    text = resources.files("quotecontra").joinpath("resources/predicates.tsv").read_text(encoding="utf-8")
    lex: dict[str, list[Entry]] = {}
    for e in parse_lexicon(text):
        lex.setdefault(e.pos + ("-A" if e.use == "A" else ""), []).append(e)
    for entries in lex.values():
        entries.sort(key=lambda e: -len(e.src))  # longest phrase first: "shut down" before "shut"
    return lex


def inflect_verb(lemma: str, tag: str) -> str:
    head, sep, rest = lemma.partition(" ")
    if head in EXTRA_IRREGULAR and head not in IRREGULAR and tag in {"VBD", "VBN"}:
        return EXTRA_IRREGULAR[head][0 if tag == "VBD" else 1] + sep + rest
    return inflect(lemma, tag)


def pluralize(noun: str) -> str:
    if noun in _PLURAL:
        return _PLURAL[noun]
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    return noun + "s"


def article_for(word: str) -> str:
    """ "a" or "an" before the word (by its first letter: good enough for the lexicon's nouns)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
