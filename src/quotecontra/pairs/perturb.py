"""Synthetic edits of one parsed claim, each with the logical relation it creates (CAD-style minimal pairs).

Every edit is a set of token operations on the claim's single spaCy parse, so edits compose: the negation of a
claim with a modifier dropped is the same root negated with the same modifier tokens removed. That lets one
source sentence give every label from the same words (see :func:`lattice`):

* an *entailing* edit makes ``a ⊨ b`` (a modifier dropped, one sentence of several, a detail added, all→some,
  a number hedged within tolerance);
* its negations give ``¬b ⊨ ¬a`` (entailment with "not" on both sides), ``a ⊥ ¬b`` (contradiction) and the
  neutral ``(b, a)``, ``(¬a, ¬b)``, ``(b, ¬a)``;
* a *contradicting* edit makes ``c ⊥ x`` (negation, antonym, number beyond tolerance, all→none).

Because the same texts serve as hypotheses of different labels, a model that reads only the hypothesis (or only
the word overlap) cannot tell the labels apart; ``split.balance`` then evens the rest out.

Polarity matters: under negation dropping a modifier reverses entailment ("did not rise sharply" does not entail
"did not rise"), so the direction of each entailing edit is decided by the claim's polarity, and contrary edits
(antonyms, numbers) are made only in positive, non-modal claims.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from quotecontra.config import SYNTHETIC_ORIGINS
from quotecontra.records import Label

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
_HEDGED = frozenset(
    [
        "about",
        "around",
        "nearly",
        "almost",
        "over",
        "under",
        "roughly",
        "approximately",
        "some",
        "only",
        "just",
        "least",
        "most",
        "than",
        "up",
        "more",
        "less",
        "fewer",
        "below",
        "above",
        "exceeding",
    ]
)
_NUM_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
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

# Irregular forms of verbs the edits inflect: lemma -> (past, past participle).
IRREGULAR: dict[str, tuple[str, str]] = {
    "rise": ("rose", "risen"),
    "fall": ("fell", "fallen"),
    "win": ("won", "won"),
    "lose": ("lost", "lost"),
    "buy": ("bought", "bought"),
    "sell": ("sold", "sold"),
    "begin": ("began", "begun"),
    "grow": ("grew", "grown"),
    "shrink": ("shrank", "shrunk"),
    "lend": ("lent", "lent"),
    "leave": ("left", "left"),
    "forget": ("forgot", "forgotten"),
    "freeze": ("froze", "frozen"),
    "unfreeze": ("unfroze", "unfrozen"),
    "keep": ("kept", "kept"),
    "spend": ("spent", "spent"),
    "build": ("built", "built"),
    "meet": ("met", "met"),
    "beat": ("beat", "beaten"),
    "lead": ("led", "led"),
    "break": ("broke", "broken"),
    "hit": ("hit", "hit"),
    "cut": ("cut", "cut"),
    "forbid": ("forbade", "forbidden"),
    "lay": ("laid", "laid"),
    "catch": ("caught", "caught"),
    "withdraw": ("withdrew", "withdrawn"),
    "withhold": ("withheld", "withheld"),
    "speed": ("sped", "sped"),
    "go": ("went", "gone"),
    "do": ("did", "done"),
    "have": ("had", "had"),
    "say": ("said", "said"),
    "tell": ("told", "told"),
    "get": ("got", "got"),
    "make": ("made", "made"),
    "take": ("took", "taken"),
    "give": ("gave", "given"),
    "see": ("saw", "seen"),
    "come": ("came", "come"),
    "become": ("became", "become"),
    "know": ("knew", "known"),
    "think": ("thought", "thought"),
    "find": ("found", "found"),
    "bring": ("brought", "brought"),
    "hold": ("held", "held"),
    "stand": ("stood", "stood"),
    "understand": ("understood", "understood"),
    "pay": ("paid", "paid"),
    "run": ("ran", "run"),
    "set": ("set", "set"),
    "put": ("put", "put"),
    "send": ("sent", "sent"),
    "feel": ("felt", "felt"),
    "show": ("showed", "shown"),
    "mean": ("meant", "meant"),
    "seek": ("sought", "sought"),
    "fight": ("fought", "fought"),
    "teach": ("taught", "taught"),
    "write": ("wrote", "written"),
    "speak": ("spoke", "spoken"),
    "choose": ("chose", "chosen"),
    "drive": ("drove", "driven"),
    "strike": ("struck", "struck"),
    "sink": ("sank", "sunk"),
    "swear": ("swore", "sworn"),
    "let": ("let", "let"),
    "shut": ("shut", "shut"),
    "deal": ("dealt", "dealt"),
    "fly": ("flew", "flown"),
    "hear": ("heard", "heard"),
    "sit": ("sat", "sat"),
    "lie": ("lay", "lain"),
    "be": ("was", "been"),
}
_NO_DOUBLE = frozenset({"open", "edit", "exit", "visit", "limit", "offer", "enter", "order", "happen", "listen"})


# ---------------------------------------------------------------- inflection


def _double(lemma: str) -> bool:
    return (
        lemma not in _NO_DOUBLE
        and len(lemma) <= 4
        and re.search(r"[^aeiou][aeiou][bdgmnprt]$", lemma) is not None
        and not lemma.endswith(("w", "x", "y"))
    )


def inflect(lemma: str, tag: str) -> str:
    """The form of a verb lemma for a Penn tag (VBD, VBN, VBZ, VBG, else base); multiword lemmas inflect the head."""
    head, sep, rest = lemma.partition(" ")
    if tag in {"VBD", "VBN"}:
        if head in IRREGULAR:
            form = IRREGULAR[head][0 if tag == "VBD" else 1]
        elif head.endswith("e"):
            form = head + "d"
        elif re.search(r"[^aeiou]y$", head):
            form = head[:-1] + "ied"
        else:
            form = head + (head[-1] if _double(head) else "") + "ed"
    elif tag == "VBZ":
        if head in {"have", "do", "go", "be"}:
            form = {"have": "has", "do": "does", "go": "goes", "be": "is"}[head]
        elif re.search(r"(s|sh|ch|x|z)$", head):
            form = head + "es"
        elif re.search(r"[^aeiou]y$", head):
            form = head[:-1] + "ies"
        else:
            form = head + "s"
    elif tag == "VBG":
        if head.endswith("ie"):
            form = head[:-2] + "ying"
        elif head.endswith("e") and not head.endswith(("ee", "ye", "oe")):
            form = head[:-1] + "ing"
        else:
            form = head + (head[-1] if _double(head) else "") + "ing"
    else:
        form = head
    return form + sep + rest


def match_case(new: str, old: str) -> str:
    return new[:1].upper() + new[1:] if old[:1].isupper() else new


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


def _merge(*ops: Ops) -> Ops | None:
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


def _parse_number(tok) -> tuple[float, str] | None:
    """Value and format ("int", "comma", "dec<n>", "word") of a numeric token."""
    t = tok.text.lower()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", t):
        return float(t.replace(",", "")), "comma"
    if re.fullmatch(r"\d+", t):
        return float(t), "int"
    if m := re.fullmatch(r"\d+\.(\d+)", t):
        return float(t), f"dec{len(m.group(1))}"
    if t in _NUM_WORDS:
        return float(_NUM_WORDS[t]), "word"
    if t in _TENS:
        return float(_TENS[t]), "word"
    m = re.fullmatch(r"([a-z]+)-([a-z]+)", t)
    if m and m.group(1) in _TENS and m.group(2) in _NUM_WORDS and _NUM_WORDS[m.group(2)] < 10:
        return float(_TENS[m.group(1)] + _NUM_WORDS[m.group(2)]), "word"
    return None


def _format_number(value: float, fmt: str) -> str:
    if fmt.startswith("dec"):
        return f"{value:.{int(fmt[3:])}f}"
    v = round(value)
    return f"{v:,}" if fmt == "comma" or v >= 10000 else str(v)


def _nice(value: float, figures: int = 2) -> float:
    """Round to a few significant figures (the kind of figure a hedged claim uses)."""
    if value <= 0:
        return value
    mag = 10 ** (math.floor(math.log10(value)) - (figures - 1))
    return round(value / mag) * mag


def _numbers(doc, root) -> list[tuple]:
    found = []
    for tok in root.sent:
        parsed = _parse_number(tok)
        if parsed is None or tok.ent_type_ in {"ORDINAL"}:
            continue
        if tok.ent_type_ not in {"", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE"}:
            continue
        prev = {doc[j].lower_ for j in range(max(0, tok.i - 2), tok.i)}
        if prev & _HEDGED or any(c.dep_ in {"quantmod", "advmod"} for c in tok.children):
            continue
        if tok.head.lower_ in _HEDGED:
            continue
        found.append((tok, *parsed))
    return found


def number_edits(doc, root, tolerance: float, rng: random.Random) -> tuple[list[Ops], list[Ops]]:
    """(changes beyond tolerance -> contradiction, hedged changes within tolerance -> entailed).

    A year moves by 1-5 years (always a contradiction). Other numbers are scaled by a factor well outside the
    tolerance, or rounded to two significant figures and hedged with "about" when that stays within it.
    """
    if not positive(root) or modal(root):
        return [], []
    beyond: list[Ops] = []
    within: list[Ops] = []
    for tok, value, fmt in _numbers(doc, root):
        is_year = fmt == "int" and 1900 <= value <= 2100 and len(tok.text) == 4
        if is_year:
            new = value + rng.choice([-3, -2, -1, 1, 2, 3])
            beyond.append({tok.i: str(int(new))})
            continue
        if value == 0:
            continue
        factor = rng.choice([0.5, 2.0, 3.0, 1.5]) if value >= 2 else rng.choice([2.0, 3.0])
        new = value * factor
        if fmt in {"int", "comma", "word"}:
            new = round(new)
        if abs(new - value) / value > 2 * tolerance and new != value:
            beyond.append({tok.i: _format_number(new, "int" if fmt == "word" else fmt)})
        if value >= 20:
            options = [_nice(value, 1), _nice(value, 2), _nice(value * (1 + tolerance / 2), 2)]
            hedged = next((h for h in options if h != value and abs(h - value) / value < tolerance), value)
            if hedged != value:
                start = tok.i
                while start > 0 and (doc[start - 1].tag_ == "$" or doc[start - 1].text in {"€", "£", "$"}):
                    start -= 1
                ops: Ops = {tok.i: _format_number(hedged, "int" if fmt == "word" else fmt)}
                first = doc[start]
                if start == tok.i:
                    ops[tok.i] = "about " + ops[tok.i]
                else:
                    ops[first.i] = "about " + first.text
                within.append(ops)
    return beyond, within


_QUANT = {
    # word -> (universal form, existential form, negative form)
    "all": ("all", "some", "no"),
    "every": ("every", "some", "no"),
    "each": ("each", "some", "no"),
    "everyone": ("everyone", "someone", "no one"),
    "everybody": ("everybody", "somebody", "nobody"),
    "everything": ("everything", "something", "nothing"),
    "always": ("always", "sometimes", "never"),
    "some": ("all", "some", "no"),
    "someone": ("everyone", "someone", "no one"),
    "somebody": ("everybody", "somebody", "nobody"),
    "something": ("everything", "something", "nothing"),
    "sometimes": ("always", "sometimes", "never"),
    "nobody": ("everybody", "somebody", "nobody"),
    "nothing": ("everything", "something", "nothing"),
    "never": ("always", "sometimes", "never"),
}


def quantifier_forms(doc) -> tuple[Ops, Ops, Ops, str] | None:
    """Universal, existential and negative versions of the first quantifier: (all, some, none, original form)."""
    for tok in doc:
        low = tok.lower_
        if low not in _QUANT:
            continue
        if low == "some" and tok.dep_ != "det":
            continue
        if low == "all" and tok.dep_ not in {"det", "predet", "nsubj", "dobj"}:
            continue
        uni, exi, neg = _QUANT[low]
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        if low in {"all", "some"} and nxt is not None and nxt.lower_ == "of":
            neg = "none"
        if low == "never":
            forms = ("always", "sometimes", "never")
            kind = "never"
        else:
            forms = (uni, exi, neg)
            kind = {uni: "all", exi: "some"}.get(low, "none")
        ops = tuple({tok.i: match_case(f, tok.text)} for f in forms)
        return ops[0], ops[1], ops[2], kind
    return None


# ---------------------------------------------------------------- pairs from edits


@dataclass(frozen=True)
class SynPair:
    premise: str
    hypothesis: str
    label: Label
    origin: str
    edited_side: str  # "premise" | "hypothesis": the side further from the original claim
    family: str = ""  # the lattice the pair came from (one source sentence, one edit)


@dataclass
class Sentence:
    """A claim variant: its text and how many edits it carries (0 = the original)."""

    text: str
    edits: int
    ops: Ops = field(default_factory=dict)


def _side(p: Sentence, h: Sentence, rng: random.Random) -> str:
    if p.edits != h.edits:
        return "premise" if p.edits > h.edits else "hypothesis"
    return rng.choice(["premise", "hypothesis"])


def lattice(a: Sentence, b: Sentence, na: Sentence | None, nb: Sentence | None, origin: str, rng: random.Random):
    """All labelled pairs from ``a ⊨ b`` and the negations ``na = ¬a``, ``nb = ¬b`` (either may be missing).

    Origins: the entailing edit's name for pairs without negation, ``double_negation`` for ¬b ⊨ ¬a, and
    ``negation`` for the contradictions and the neutrals that carry a negation.
    """
    triples: list[tuple[Sentence, Sentence, Label, str]] = [(a, b, "entailment", origin), (b, a, "neutral", origin)]
    if nb is not None:
        triples += [(a, nb, "contradiction", "negation"), (nb, a, "contradiction", "negation")]
        triples += [(b, nb, "contradiction", "negation"), (nb, b, "contradiction", "negation")]
    if na is not None:
        triples += [(b, na, "neutral", "negation"), (na, b, "neutral", "negation")]
        triples += [(a, na, "contradiction", "negation"), (na, a, "contradiction", "negation")]
    if na is not None and nb is not None:
        triples += [(nb, na, "entailment", "double_negation"), (na, nb, "neutral", "double_negation")]
    fam = f"{origin}:{b.text}"
    return [
        SynPair(p.text, h.text, lab, org, _side(p, h, rng), fam)
        for p, h, lab, org in triples
        if p.text != h.text and p.text and h.text
    ]


_SUBSTITUTION_LABELS: dict[str, dict[tuple[str, str], Label]] = {
    # x replaces one word of c; nc, nx are their negations
    "contrary": {
        ("c", "x"): "contradiction", ("x", "c"): "contradiction", ("c", "nx"): "entailment",
        ("x", "nc"): "entailment", ("nx", "c"): "neutral", ("nc", "x"): "neutral",
        ("nc", "nx"): "neutral", ("nx", "nc"): "neutral",
    },
    "contradictory": {
        ("c", "x"): "contradiction", ("x", "c"): "contradiction", ("c", "nx"): "entailment",
        ("x", "nc"): "entailment", ("nx", "c"): "entailment", ("nc", "x"): "entailment",
        ("nc", "nx"): "contradiction", ("nx", "nc"): "contradiction",
    },
    "synonym": {
        ("c", "x"): "entailment", ("x", "c"): "entailment", ("nc", "nx"): "entailment",
        ("nx", "nc"): "entailment", ("c", "nx"): "contradiction", ("nx", "c"): "contradiction",
        ("x", "nc"): "contradiction", ("nc", "x"): "contradiction",
    },
}  # fmt: skip


def substitution_family(
    c: Sentence, x: Sentence, nc: Sentence | None, nx: Sentence | None, kind: str, origin: str, rng: random.Random
) -> list[SynPair]:
    """Pairs from a one-word substitution and the negations of both sentences.

    ``contrary`` (accept/reject, 310/620): both can be false, so their negations are compatible (neutral);
    ``contradictory`` (legal/illegal): not-x means c; ``synonym``: mutual entailment, negations included.
    """
    sents = {"c": c, "x": x, "nc": nc, "nx": nx}
    out = []
    for (p, h), label in _SUBSTITUTION_LABELS[kind].items():
        sp, sh = sents[p], sents[h]
        if sp is None or sh is None or sp.text == sh.text:
            continue
        out.append(SynPair(sp.text, sh.text, label, origin, _side(sp, sh, rng), f"{origin}:{x.text}"))
    return out


def contradiction_family(c: Sentence, x: Sentence, nx: Sentence | None, origin: str, rng: random.Random):
    """``c ⊥ x`` both ways, and ``c ⊨ ¬x`` (a contrary edit: what c says rules x out)."""
    return [p for p in substitution_family(c, x, None, nx, "contrary", origin, rng)]


def _variant(doc, root, ops: Ops, edits: int) -> Sentence | None:
    text = render(doc, ops)
    if not text or text == render(doc, {}):
        return None
    return Sentence(text, edits, ops)


def _negated(doc, root, ops: Ops, edits: int) -> Sentence | None:
    neg = negate(doc, root)
    if neg is None:
        return None
    merged = _merge(ops, neg)
    return None if merged is None else _variant(doc, root, merged, edits + 1)


def _negated_swap(doc, root, ops: Ops, new_lemma: str) -> Sentence | None:
    """Negation of a sentence whose main verb was swapped and needs do-support ("rejected" -> "did not reject")."""
    neg = negate(doc, root)
    if neg is None or root.i not in ops or root.i not in neg or " not " not in neg[root.i]:
        return None
    do = neg[root.i].split(" not ")[0]
    merged = dict(ops)
    merged[root.i] = f"{do} not {new_lemma}"
    return _variant(doc, root, merged, 2)


@dataclass(frozen=True)
class PerturbOptions:
    origins: tuple[str, ...] = SYNTHETIC_ORIGINS
    number_tolerance: float = 0.1
    min_claim_words: int = 4
    max_per_family: int = 3


def synthesize(doc, opts: PerturbOptions, rng: random.Random) -> tuple[list[SynPair], str | None]:
    """Every synthetic pair from one parsed claim, or a skip reason when the claim cannot be perturbed."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < opts.min_claim_words:
        return [], "too short to perturb"
    if is_question_or_fragment(doc):
        return [], "question or verbless fragment"
    sents = list(doc.sents)
    orig = Sentence(render(doc, {}), 0)
    out: list[SynPair] = []
    want = set(opts.origins)
    if len(sents) == 1:
        root = sents[0].root
        pos = positive(root)
        n_orig = _negated(doc, root, {}, 0)
        weaker: list[tuple[Ops, str]] = []
        if "drop_modifier" in want:
            drops = modifier_drops(doc, root)
            rng.shuffle(drops)
            weaker += [(d, "drop_modifier") for d in drops[: opts.max_per_family]]
        for ops, origin in weaker:
            v = _variant(doc, root, ops, 1)
            if v is None:
                continue
            nv = _negated(doc, root, ops, 1)
            a, b, na, nb = (orig, v, n_orig, nv) if pos else (v, orig, nv, n_orig)
            out += lattice(a, b, na, nb, origin, rng)
        if "added_detail" in want:
            d_ops = add_detail(doc, root, pick_detail(doc, rng))
            v = _variant(doc, root, d_ops, 1) if d_ops else None
            if v is not None:
                nv = _negated(doc, root, d_ops, 1)
                a, b, na, nb = (v, orig, nv, n_orig) if pos else (orig, v, n_orig, nv)
                out += lattice(a, b, na, nb, "added_detail", rng)
        if "number" in want:
            beyond, within = number_edits(doc, root, opts.number_tolerance, rng)
            for ops in within[: opts.max_per_family]:
                v = _variant(doc, root, ops, 1)
                if v is not None:
                    out += lattice(orig, v, n_orig, _negated(doc, root, ops, 1), "number", rng)
            for ops in beyond[: opts.max_per_family]:
                x = _variant(doc, root, ops, 1)
                if x is not None:
                    nx = _negated(doc, root, ops, 1)
                    out += substitution_family(orig, x, n_orig, nx, "contrary", "number", rng)
        for origin, lexicon in (("antonym", antonym_lexicon()), ("synonym", synonym_lexicon())):
            if origin not in want:
                continue
            swaps = word_swaps(doc, root, lexicon, need_positive=origin == "antonym")
            rng.shuffle(swaps)
            for ops, old, new in swaps[: opts.max_per_family]:
                x = _variant(doc, root, ops, 1)
                if x is None:
                    continue
                nx = _negated(doc, root, ops, 1) or _negated_swap(doc, root, ops, new)
                pos = "ADJ" if doc[next(iter(ops))].pos_ == "ADJ" else "VERB"
                kind = "synonym" if origin == "synonym" else antonym_kind(old, new, pos)
                out += substitution_family(orig, x, n_orig, nx, kind, origin, rng)
        if "quantifier" in want and (q := quantifier_forms(doc)) is not None:
            uni_ops, exi_ops, neg_ops, kind = q
            edits = {"all": (0, 1, 1), "some": (1, 0, 1), "none": (1, 1, 0), "never": (1, 1, 0)}[kind]
            uni, exi, neg = (
                Sentence(render(doc, o), e) for o, e in zip((uni_ops, exi_ops, neg_ops), edits, strict=True)
            )
            for p, h, lab in [
                (uni, exi, "entailment"),
                (exi, uni, "neutral"),
                (uni, neg, "contradiction"),
                (neg, uni, "contradiction"),
                (exi, neg, "contradiction"),
                (neg, exi, "contradiction"),
            ]:
                if p.text != h.text:
                    out.append(SynPair(p.text, h.text, lab, "quantifier", _side(p, h, rng), f"quantifier:{kind}"))
        if "negation" in want and n_orig is not None and not weaker:
            out += [
                SynPair(orig.text, n_orig.text, "contradiction", "negation", "hypothesis", "negation"),
                SynPair(n_orig.text, orig.text, "contradiction", "negation", "premise", "negation"),
            ]
    elif "sentence" in want:
        # One sentence of several is entailed; the sentence negated contradicts the whole claim.
        picks = list(range(len(sents)))
        rng.shuffle(picks)
        for k in picks[: opts.max_per_family]:
            s = sents[k]
            if sum(1 for t in s if not t.is_punct) < 3:
                continue
            one = Sentence(render(doc, {}, span=s), 1)
            neg = negate(doc, s.root)
            n_one = Sentence(render(doc, neg, span=s), 2) if neg is not None else None
            n_whole = Sentence(render(doc, neg), 1) if neg is not None else None
            out += lattice(orig, one, None, n_one, "sentence", rng)
            if n_whole is not None and n_one is not None:
                # ¬s alone is entailed by the claim with s negated; s alone contradicts it
                out.append(SynPair(n_whole.text, n_one.text, "entailment", "sentence", "premise", f"sentence:{k}"))
                out.append(SynPair(n_one.text, n_whole.text, "neutral", "sentence", "hypothesis", f"sentence:{k}"))
    keep = [p for p in out if p.origin in want]
    if not keep:
        return [], "no applicable edit"
    return keep, None


def speaker_swap(claim: str, speaker: str, other: str, negated: str | None) -> list[SynPair]:
    """Reports by different speakers are compatible, so a speaker swap is never a contradiction.

    "A said that X" vs "B said that X" (or "B said that not-X") is neutral: both reports can be true
    (ANNOTATION_GUIDE: what contradicts is content, not who reported it).
    """
    body = claim[:1].lower() + claim[1:] if not claim[:2].isupper() else claim
    body = body.rstrip(".")
    pairs = [
        SynPair(f"{speaker} said that {body}.", f"{other} said that {body}.", "neutral", "speaker_swap", "hypothesis")
    ]
    if negated:
        nbody = negated[:1].lower() + negated[1:] if not negated[:2].isupper() else negated
        pairs.append(
            SynPair(
                f"{speaker} said that {body}.",
                f"{other} said that {nbody.rstrip('.')}.",
                "neutral",
                "speaker_swap",
                "hypothesis",
            )
        )
    return pairs


def other_claim_pairs(claim: str, others: Iterable[str], rng: random.Random, k: int = 1) -> list[SynPair]:
    """Two different claims about the same target: neutral (a different aspect or event)."""
    cands = [o for o in others if o != claim]
    rng.shuffle(cands)
    out = []
    for o in cands[:k]:
        if rng.random() < 0.5:
            out.append(SynPair(claim, o, "neutral", "other_claim", "hypothesis", f"other:{o}"))
        else:
            out.append(SynPair(o, claim, "neutral", "other_claim", "premise", f"other:{o}"))
    return out


def negation_rate(texts: Iterable[str]) -> float:
    """Share of texts with a negation word (the classic hypothesis-only cue)."""
    texts = list(texts)
    if not texts:
        return 0.0
    return sum(has_negation(t) for t in texts) / len(texts)


def has_negation(text: str) -> bool:
    return any(w in NEGATION_WORDS for w in re.findall(r"[a-z']+", text.lower().replace("n't", " n't")))
