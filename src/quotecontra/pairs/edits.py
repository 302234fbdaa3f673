"""Token operations on one parsed claim: rendering, clause structure, negation, modifier drops, details, word swaps.

An edit is an ``Ops`` map (token index -> replacement text, "" deletes) on the claim's single spaCy parse, so edits
compose by merging maps (:func:`merge_ops`); :mod:`quotecontra.pairs.perturb` turns them into labelled pairs.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from importlib import resources

from quotecontra.pairs.morphology import inflect, match_case

Ops = dict[int, str]  # token index -> replacement text ("" deletes the token)

NEGATION_WORDS = frozenset({"not", "n't", "never", "no", "nobody", "nothing", "none", "neither", "nor", "cannot"})
_NEG_QUANT = frozenset({"no", "nobody", "nothing", "none", "neither", "nowhere", "noone"})
_POSSIBILITY_MODALS = frozenset({"may", "might", "could", "can", "ca"})
_CONTRACTED_AUX = {"ca": "can", "wo": "will", "sha": "shall"}
_NON_SUBSECTIVE = frozenset(
    [
        "former",
        "alleged",
        "fake",
        "potential",
        "possible",
        "so-called",
        "would-be",
        "false",
        "supposed",
        "future",
        "proposed",
        "planned",
        "likely",
        "apparent",
        "presumed",
        "probable",
        "reported",
        "suspected",
        "claimed",
        "purported",
        "ex",
        "expected",
        "prospective",
    ]
)
_DROP_PREPS = frozenset(
    {"in", "on", "at", "during", "after", "before", "since", "within", "across", "throughout", "amid", "despite"}
)
DETAILS = (
    "last week",
    "on Monday",
    "in private",
    "at a meeting",
    "in recent months",
    "earlier this month",
    "on Thursday",
    "behind closed doors",
)
_PLACE_DETAILS = ("in private", "at a meeting", "behind closed doors")

# ---------------------------------------------------------------- rendering


def render(doc, ops: Ops, span=None) -> str:
    """The claim (or one sentence of it) with the operations applied and spacing/punctuation tidied."""
    parts: list[str] = []
    for tok in span if span is not None else doc:
        if tok.i in ops:
            new = ops[tok.i]
            if new:
                parts.append(new + tok.whitespace_)
            elif parts and not tok.whitespace_:
                parts[-1] = parts[-1].rstrip()
            elif parts and tok.whitespace_ and not parts[-1].endswith(tok.whitespace_):
                parts[-1] += tok.whitespace_  # "wo|n't close" -> "will close"
            continue
        parts.append(tok.text_with_ws)
    s = "".join(parts)
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    s = re.sub(r"([,;:])\s*([,.;:!?])", r"\2", s)
    s = re.sub(r"\(\s*\)", "", s)
    s = re.sub(r"\s{2,}", " ", s).strip().lstrip(",;: ")
    return s[:1].upper() + s[1:]


def merge_ops(*ops: Ops) -> Ops | None:
    """Combine operations; None when two edit the same token differently."""
    out: Ops = {}
    for o in ops:
        for i, v in o.items():
            if i in out and out[i] != v:
                return None
            out[i] = v
    return out


# ---------------------------------------------------------------- claim structure


def main_roots(doc) -> list:
    """The root of each sentence (the main verb or copula)."""
    return [s.root for s in doc.sents]


def _aux_children(root) -> list:
    return [c for c in root.children if c.dep_ in {"aux", "auxpass"} and c.i < root.i]


def is_question_or_fragment(doc) -> bool:
    return "?" in doc.text or not any(t.pos_ in {"VERB", "AUX"} for t in doc)


def positive(root) -> bool:
    """True when the clause is affirmative: no negation on the verb and no negative quantifier among its arguments."""
    for c in root.children:
        if c.dep_ == "neg" or c.lower_ in NEGATION_WORDS:
            return False
        if c.dep_ in {"nsubj", "nsubjpass", "dobj", "attr", "expl"} and (
            c.lower_ in _NEG_QUANT or any(d.dep_ == "det" and d.lower_ in _NEG_QUANT for d in c.children)
        ):
            return False
        if c.dep_ == "mark" and c.lower_ in {"if", "unless", "whether"}:
            return False
    return True


def modal(root) -> bool:
    """A possibility modal ("could rise") makes contrary edits compatible ("could rise" / "could fall")."""
    return any(a.lower_ in _POSSIBILITY_MODALS for a in _aux_children(root))


# ---------------------------------------------------------------- edit families (token operations)


def negate(doc, root) -> Ops | None:
    """Negate one clause: remove its negation when present, else insert one (with do-support); None if unsafe."""
    if root.i == root.sent.start and root.tag_ == "VB":  # imperative ("Mark my words")
        return None
    negs = [c for c in root.children if c.dep_ == "neg"]
    if negs:
        neg = negs[0]
        ops: Ops = {neg.i: ""}
        if neg.lower_ == "n't":
            aux = doc[neg.i - 1]
            if aux.lower_ in _CONTRACTED_AUX:
                ops[aux.i] = match_case(_CONTRACTED_AUX[aux.lower_], aux.text)
        auxes = _aux_children(root)
        if auxes and auxes[0].lemma_ == "do" and len(auxes) == 1 and root.pos_ == "VERB":
            tag = {"did": "VBD", "does": "VBZ"}.get(auxes[0].lower_, "VBP")
            ops[auxes[0].i] = ""
            ops[root.i] = match_case(inflect(root.lemma_.lower(), tag), auxes[0].text)
        return ops
    if not positive(root):
        return None  # a negative quantifier ("nobody can say"): no safe single negation
    for c in root.children:
        if c.dep_ in {"nsubj", "nsubjpass"} and (
            c.lower_ in {"everyone", "everybody", "everything", "all", "each"}
            or any(d.lower_ in {"all", "every", "each"} for d in c.children if d.dep_ in {"det", "predet"})
        ):
            return None  # "All farmers do not ..." reads as "not all": scope is ambiguous
    auxes = _aux_children(root)
    if auxes:
        return {auxes[0].i: auxes[0].text + " not"}
    if root.pos_ == "AUX" or root.lemma_ == "be":
        return {root.i: root.text + " not"}
    if root.pos_ == "VERB" and root.tag_ in {"VBD", "VBZ", "VBP"}:
        if root.i > 0 and doc[root.i - 1].dep_ == "advmod" and doc[root.i - 1].head.i == root.i:
            return None  # "We only agreed": do-support would land on the wrong side of the adverb
        do = {"VBD": "did", "VBZ": "does", "VBP": "do"}[root.tag_]
        return {root.i: f"{match_case(do, root.text)} not {root.lemma_.lower()}"}
    return None


def _subtree_ops(tok, doc) -> Ops:
    ops = {t.i: "" for t in tok.subtree}
    # a comma that only introduced the removed phrase goes with it
    left = tok.left_edge.i - 1
    if left >= 0 and doc[left].text == "," and (tok.right_edge.i + 1 >= len(doc) or doc[tok.right_edge.i + 1].is_punct):
        ops[left] = ""
    return ops


def modifier_drops(doc, root) -> list[Ops]:
    """Optional modifiers of the main clause whose removal leaves an entailed sentence (in a positive clause)."""
    out: list[Ops] = []
    sent_len = sum(1 for t in root.sent if not t.is_punct)
    for c in root.children:
        if c.dep_ in {"advmod", "npadvmod"} and c.lower_ not in NEGATION_WORDS and c.tag_ not in {"WRB"}:
            if c.lower_ in {"not", "so", "too", "as", "how", "then", "there", "here"}:
                continue
            out.append(_subtree_ops(c, doc))
        elif (c.dep_ == "prep" and c.lemma_.lower() in _DROP_PREPS and c.i > root.i) or (
            c.dep_ == "advcl"
            and c.i > root.i
            and not any(m.dep_ == "mark" and m.lower_ in {"if", "unless"} for m in c.children)
        ):
            out.append(_subtree_ops(c, doc))
    for arg in root.children:
        if arg.dep_ not in {"nsubj", "dobj", "attr", "nsubjpass"} or arg.pos_ not in {"NOUN", "PROPN"}:
            continue
        if any(d.dep_ == "det" and d.lower_ in {"all", "every", "each", "no", "any"} for d in arg.children):
            continue
        for m in arg.children:
            if m.dep_ == "amod" and m.tag_ == "JJ" and m.lower_ not in _NON_SUBSECTIVE and m.i < arg.i:
                out.append(_subtree_ops(m, doc))
    keep = []
    for ops in out:
        left = sent_len - sum(1 for i in ops if not doc[i].is_punct)
        if left >= 3 and root.i not in ops:
            keep.append(ops)
    return keep


def add_detail(doc, root, detail: str) -> Ops | None:
    """Append an unverifiable detail to the main clause, before its final punctuation."""
    sent = root.sent
    last = sent[-1]
    if last.is_punct and len(sent) > 1:
        prev = sent[-2]
        if prev.is_punct:
            return None
        return {prev.i: f"{prev.text} {detail}"}
    return {last.i: f"{last.text} {detail}"}


def pick_detail(doc, rng: random.Random) -> str:
    """A detail that cannot clash with a time already in the claim."""
    has_time = any(e.label_ in {"DATE", "TIME"} for e in doc.ents)
    return rng.choice(_PLACE_DETAILS if has_time else DETAILS)


_NEG_PREFIXES = ("un", "in", "il", "im", "ir", "dis", "non")
# Complementary pairs without a prefix: "not open" means "closed", so negating both sides keeps a contradiction.
_COMPLEMENTARY = frozenset(
    {("true", "false"), ("open", "closed"), ("open", "shut"), ("alive", "dead"), ("present", "absent")}
    | {("guilty", "innocent"), ("right", "wrong"), ("correct", "incorrect"), ("public", "private")}
)


def antonym_kind(a: str, b: str, pos: str) -> str:
    """'contradictory' (not-a means b: legal/illegal) or 'contrary' (both can be false: accept/reject, rise/fall)."""
    if (a, b) in _COMPLEMENTARY or (b, a) in _COMPLEMENTARY:
        return "contradictory"
    if pos in {"ADJ", "ADV"} and any(b == p + a or a == p + b for p in _NEG_PREFIXES):
        return "contradictory"
    return "contrary"


def _load_lexicon(name: str) -> dict[tuple[str, str], tuple[str, ...]]:
    text = resources.files("quotecontra").joinpath(f"resources/{name}").read_text(encoding="utf-8")
    lex: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, pos = line.split("\t")
        for x, y in ((a, b), (b, a)):
            alts = lex.setdefault((x, pos), [])
            if y not in alts:
                alts.append(y)
    return {k: tuple(v) for k, v in lex.items()}


@lru_cache(maxsize=1)
def antonym_lexicon() -> dict[tuple[str, str], tuple[str, ...]]:
    """(lemma, coarse POS) -> antonyms, both directions, from the shipped ``resources/antonyms.tsv``."""
    return _load_lexicon("antonyms.tsv")


@lru_cache(maxsize=1)
def synonym_lexicon() -> dict[tuple[str, str], tuple[str, ...]]:
    """(lemma, coarse POS) -> synonyms, both directions, from the shipped ``resources/synonyms.tsv``."""
    return _load_lexicon("synonyms.tsv")


def word_swaps(
    doc, root, lexicon: dict[tuple[str, str], tuple[str, ...]], need_positive: bool = True
) -> list[tuple[Ops, str, str]]:
    """Replace the main predicate (verb, predicative adjective, manner adverb) by a lexicon entry.

    Returns (operations, old lemma, new lemma). Contrary edits need a positive, non-modal clause
    ("could rise" / "could fall" are compatible); synonyms do not.
    """
    if need_positive and (not positive(root) or modal(root)):
        return []
    cands = [root] + [c for c in root.children if c.dep_ in {"acomp", "attr", "oprd", "advmod", "xcomp"}]
    out: list[tuple[Ops, str, str]] = []
    for tok in cands:
        pos = {"VERB": "VERB", "ADJ": "ADJ", "ADV": "ADV"}.get(tok.pos_)
        if pos is None:
            continue
        key = (tok.lemma_.lower(), pos) if pos == "VERB" else (tok.lower_, pos)
        for alt in lexicon.get(key, ())[:2]:
            new = inflect(alt, tok.tag_) if pos == "VERB" else alt
            out.append(({tok.i: match_case(new, tok.text)}, key[0], alt))
    return out


def antonym_swaps(doc, root, lexicon: dict[tuple[str, str], tuple[str, ...]] | None = None) -> list[Ops]:
    """Replace the main predicate by a lexicon antonym (positive, non-modal clauses only)."""
    return [ops for ops, _, _ in word_swaps(doc, root, lexicon if lexicon is not None else antonym_lexicon())]
