"""Incompatible predicates: the claim's predicate rewritten into one that cannot hold with it (origin "predicate").

Beyond the one-word swaps of ``antonyms.tsv``, the curated ``resources/predicates.tsv`` holds phrase-level
predicates as they read in news ("laid off 200 workers" / "hired 200 workers", "will close the depot" / "will keep
the depot open", "pulled out of the deal" / "stuck with the deal", "is on track" / "is behind schedule",
"reported a profit" / "reported a loss", "There is a shortage of nurses" / "There are enough nurses"). Each rewrite
keeps the sentence grammatical: the new verb is inflected like the old one (do-support when negated), particles and
complements move with it, the object keeps its place, articles and be-agreement are fixed.

Labels come from the substitution lattice of :mod:`perturb` (``substitution_family``): the rewrite contradicts the
claim, the claim entails the rewrite negated, and the negated pairs are neutral (contrary) or follow from the
complement (contradictory). Only positive, non-modal clauses are rewritten ("could rise" / "could fall" agree).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from quotecontra.pairs.edits import NEGATION_WORDS, Ops, antonym_lexicon, modal, negate, positive, render
from quotecontra.pairs.morphology import match_case
from quotecontra.pairs.perturb import Sentence, SynPair, substitution_family
from quotecontra.pairs.predicate_lexicon import (
    Entry,
    article_for,
    inflect_verb,
    parse_lexicon,
    pluralize,
    predicate_lexicon,
)

ORIGIN = "predicate"
__all__ = ["Entry", "parse_lexicon", "pluralize", "predicate_lexicon", "predicate_pairs", "rewrites"]
_COPULAS = frozenset(["be", "remain", "stay", "look", "seem", "appear", "become", "prove", "sound", "feel"])
_CARRIERS = frozenset(
    [
        "plan",
        "expect",
        "intend",
        "aim",
        "agree",
        "decide",
        "vote",
        "promise",
        "pledge",
        "want",
        "hope",
        "threaten",
        "propose",
        "seek",
    ]
)
_TRAILING_OK = frozenset({"prep", "xcomp", "advcl", "ccomp", "conj", "cc", "punct", "npadvmod", "relcl"})
_STATIVE_HEADS = frozenset(
    {"stay", "remain", "hold", "keep", "leave", "maintain", "retain", "preserve", "protect", "safeguard", "continue"}
)
_QUANTITY_WORDS = frozenset(
    [
        "many",
        "some",
        "few",
        "several",
        "most",
        "more",
        "fewer",
        "less",
        "percent",
        "per",
        "half",
        "dozens",
        "hundreds",
        "thousands",
        "millions",
        "majority",
        "minority",
        "number",
        "lot",
        "lots",
        "any",
        "each",
        "other",
        "others",
    ]
)


@dataclass(frozen=True)
class Rewrite:
    ops: Ops
    kind: str
    base: str | None = None  # base form of a swapped main verb with its particles, for do-support ("did not hire")
    single: tuple[str, str] | None = None  # (old, new) when both sides are one word (to skip antonyms.tsv pairs)


def _match(doc, start: int, words: tuple[str, ...], scope: set[int], anchor: int):
    """Match words at doc[start:]; "_" takes one noun phrase. (matched indices, slot (lo, hi) or None, end) or None.

    Every matched word must hang on the anchor, on another matched word or on the slot ("over" in "was over 200
    jobs" hangs on "200": not a predicate).
    """
    i, matched, slot = start, [], None
    for w in words:
        if w == "_":
            if i >= len(doc):
                return None
            heads = [t for t in doc[i].ancestors if t.left_edge.i == i] + [doc[i]]
            np = next((t for t in heads if t.left_edge.i == i and t.dep_ in {"dobj", "pobj", "attr"}), None)
            if np is None or np.i not in scope:
                return None
            slot = (i, np.right_edge.i)
            i = np.right_edge.i + 1
            continue
        if i >= len(doc) or doc[i].lower_ != w or i not in scope:
            return None
        matched.append(i)
        i += 1
    inside = set(matched) | (set(range(slot[0], slot[1] + 1)) if slot else set())
    if any(doc[j].head.i not in inside | {anchor} for j in matched):
        return None
    for j in matched:  # the phrase must be a whole constituent: "on" must not match "on hold"
        for t in doc[j].subtree:
            if t.i in inside or t.i < start:
                continue
            top = t
            while top.head.i not in inside and top.head is not top:
                top = top.head
            if top.dep_ not in _TRAILING_OK or top.lower_ == "of" or t.i < i:
                return None
    return matched, slot, i


def verb_rewrites(doc, verb) -> list[Rewrite]:
    """The verb (with its particles/complements) rewritten as an incompatible verb phrase."""
    out = []
    scope = {t.i for t in verb.subtree}
    passive = any(c.dep_ == "auxpass" for c in verb.children)
    if any(c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children) for c in verb.children):
        return []  # "failed to consult": the verb's sense depends on its complement
    if disjunct(verb):
        return []
    finite = glued_modal(verb) or any(a.tag_ == "MD" or a.lower_ == "to" for a in verb.children if a.dep_ == "aux")
    tag = "VB" if finite and not passive else verb.tag_  # "'ll cut" is often tagged VBD
    for e in predicate_lexicon().get("VERB", []):
        if e.src[0] != verb.lemma_.lower():
            continue
        rest = e.src[1:] if not passive else tuple(w for w in e.src[1:] if w != "_")
        m = _match(doc, verb.i + 1, rest, scope, verb.i)
        if m is None:
            continue
        matched, slot, end = m
        obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i not in matched), None)
        if slot is None and obj is not None and obj.left_edge.i == end:
            slot = (obj.left_edge.i, obj.right_edge.i)
        has_obj = passive or slot is not None or obj is not None
        if (e.use == "I" and has_obj) or (e.use == "T" and not has_obj):
            continue
        if e.only and _argument_lemma(doc, verb, slot, obj, passive) not in e.only:
            continue
        t_head, t_rest = e.tgt[0], list(e.tgt[1:])
        if t_head in _STATIVE_HEADS and any(
            (c.dep_ == "advmod" and c.lower_.endswith("ly")) or (c.dep_ == "prep" and c.lower_ in {"by", "to", "from"})
            for c in verb.children
        ):
            continue  # "rose sharply", "cut by 3 pence", "reopen by March" -> "stayed flat sharply" does not read
        before, after = (
            (t_rest[: t_rest.index("_")], t_rest[t_rest.index("_") + 1 :]) if "_" in t_rest else (t_rest, [])
        )
        if passive:
            before, after = before + after, []
        elif "_" in t_rest and slot is None:
            continue
        ops: Ops = {j: "" for j in matched}
        head = " ".join([inflect_verb(t_head, tag), *before]).replace(" - ", "-")
        ops[verb.i] = match_case(head, verb.text)
        if after:
            ops[slot[1]] = doc[slot[1]].text + " " + " ".join(after)
        base = " ".join([t_head, *before])
        single = (e.src[0], e.tgt[0]) if len(e.src) == 1 and len(e.tgt) == 1 else None
        out.append(Rewrite(ops, e.kind, base, single))
    return out


def _subject_in(subj, only: frozenset[str]) -> bool:
    """The subject is in the class; names and personal pronouns count as people ("@sentient")."""
    if subj is None:
        return False
    if "person" in only and (subj.pos_ == "PROPN" or subj.lower_ in {"i", "we", "he", "she", "they", "you"}):
        return True
    return subj.lemma_.lower() in only


def glued_modal(verb) -> bool:
    """ "Halvorsen'll cut": a resolved pronoun keeps its contraction and the tokenizer glues it to the name."""
    return any(
        c.dep_ in {"nsubj", "nsubjpass"} and c.lower_.endswith(("'ll", "\u2019ll", "'d", "\u2019d"))
        for c in verb.children
    )


def disjunct(tok) -> bool:
    """ "either cut the price or leave": changing one disjunct does not contradict the disjunction."""
    return any(c.dep_ == "preconj" or (c.dep_ == "cc" and c.lower_ in {"or", "nor"}) for c in tok.children)


def _argument_lemma(doc, verb, slot, obj, passive: bool) -> str | None:
    """Lemma of the noun the verb acts on: the slot's or object's head, the passive subject, else the subject."""
    if slot is not None:
        heads = [t for t in doc[slot[0] : slot[1] + 1] if t.head.i < slot[0] or t.head.i > slot[1]]
        return heads[0].lemma_.lower() if heads else None
    if obj is not None:
        return obj.lemma_.lower()
    subj = next((c for c in verb.children if c.dep_ in ({"nsubjpass"} if passive else {"nsubj"})), None)
    return subj.lemma_.lower() if subj is not None else None


def copula_rewrites(doc, root) -> list[Rewrite]:
    """A predicative adjective (phrase) after a copula rewritten: "is on track" -> "is behind schedule"."""
    if root.lemma_.lower() not in _COPULAS:
        return []
    scope = {t.i for t in root.subtree}
    start = root.i + 1
    if start < len(doc) and doc[start].dep_ == "neg" and doc[start].head.i == root.i:
        start += 1  # "is not on track"
    out = []
    for e in predicate_lexicon().get("ADJ", []):
        m = _match(doc, start, e.src, scope, root.i)
        if m is None:
            continue
        matched, slot, _ = m
        t = list(e.tgt)
        before, after = (t[: t.index("_")], t[t.index("_") + 1 :]) if "_" in t else (t, [])
        if ("_" in t) != (slot is not None) or any(c.dep_ == "ccomp" for j in matched for c in doc[j].children):
            continue  # "confident the coalition would survive" -> "worried ...": not the opposite attitude
        subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
        if e.only and not _subject_in(subj, e.only):
            continue
        ops: Ops = {j: "" for j in matched}
        ops[matched[0]] = " ".join(before).replace(" - ", "-")
        if after and slot:
            ops[slot[1]] = doc[slot[1]].text + " " + " ".join(after)
        single = (e.src[0], e.tgt[0]) if len(e.src) == 1 and len(e.tgt) == 1 else None
        out.append(Rewrite(ops, e.kind, None, single))
    return out


def _arguments(anchor, deps: set[str]) -> list:
    return [c for c in anchor.children if c.dep_ in deps and c.pos_ in {"NOUN", "PROPN"}]


def _article_fix(doc, tok, new_first: str, ops: Ops) -> None:
    prev = doc[tok.i - 1] if tok.i > 0 else None
    if prev is not None and prev.lower_ in {"a", "an"} and prev.dep_ == "det" and prev.i not in ops:
        art = article_for(new_first)
        if art != prev.lower_:
            ops[prev.i] = match_case(art, prev.text)


def noun_rewrites(doc, anchor) -> list[Rewrite]:
    """Attributive adjectives and head nouns of the object / predicate noun: "reported a profit" -> "a loss"."""
    out = []
    for arg in _arguments(anchor, {"dobj", "attr"}):
        lemma = arg.lemma_.lower() if arg.tag_ == "NNS" else arg.lower_
        for e in predicate_lexicon().get("NOUN", []):
            if len(e.src) != 1 or e.src[0] != lemma:
                continue
            if e.only and anchor.lemma_.lower() not in e.only | _COPULAS:
                continue
            new = " ".join(e.tgt).replace(" - ", "-")
            new = pluralize(new) if arg.tag_ == "NNS" else new
            ops: Ops = {arg.i: match_case(new, arg.text)}
            _article_fix(doc, arg, new, ops)
            out.append(Rewrite(ops, e.kind))
        for adj in (c for c in arg.children if c.dep_ == "amod" and c.i < arg.i):
            for e in predicate_lexicon().get("ADJ-A", []):
                if e.src == (adj.lower_,) and (not e.only or arg.lemma_.lower() in e.only):
                    ops = {adj.i: match_case(e.tgt[0], adj.text)}
                    _article_fix(doc, adj, e.tgt[0], ops)
                    out.append(Rewrite(ops, e.kind))
    return out


_BE_AGREE = {("is", True): "are", ("are", False): "is", ("was", True): "were", ("were", False): "was"}


def quantity_word_rewrites(doc, root) -> list[Rewrite]:
    """Quantity words on an argument ("enough vaccines" -> "too few vaccines") and "a shortage of" <-> "enough"."""
    out = []
    for arg in _arguments(root, {"nsubj", "nsubjpass", "dobj", "attr"}):
        of = next((c for c in arg.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        pobj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        for e in predicate_lexicon().get("DET", []):
            phrase = e.src[0]
            if phrase.endswith(" of"):  # "plenty of X": the quantity is the head, X decides the number
                if pobj is None or arg.lower_ != phrase.split()[0] or arg.left_edge.i != arg.i:
                    continue
                assert of is not None  # pobj is only found under of
                noun, span = pobj, [arg.i, of.i]
            else:
                words = phrase.split()
                start = arg.left_edge.i
                if [t.lower_ for t in doc[start : start + len(words)]] != words or start + len(words) > arg.i:
                    continue
                if start + len(words) < len(doc) and doc[start + len(words)].lower_ == "than":
                    continue  # "more than 300 ballots" is a count: the quantity family's
                noun, span = arg, list(range(start, start + len(words)))
            plural = noun.tag_ in {"NNS", "NNPS"}
            if e.src[0 if plural else 1] != phrase:
                continue
            ops: Ops = {j: "" for j in span}
            ops[span[0]] = match_case(e.tgt[0 if plural else 1], doc[span[0]].text)
            out.append(Rewrite(ops, e.kind))
    if root.lemma_ == "be" and any(c.dep_ == "expl" for c in root.children):
        out += _existential(doc, root)
    return out


def _existential(doc, root) -> list[Rewrite]:
    """ "There is a shortage of nurses" <-> "There are enough nurses" (be agrees with the new head)."""
    out = []
    for attr in _arguments(root, {"attr"}):
        of = next((c for c in attr.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        det = doc[attr.i - 1] if attr.i > 0 else None
        if attr.lower_ in {"shortage", "lack", "dearth"} and of is not None and det is not None and det.dep_ == "det":
            pobj = next((c for c in of.children if c.dep_ == "pobj"), None)
            if pobj is None or of.i != attr.i + 1:
                continue
            ops: Ops = {det.i: "", attr.i: "", of.i: "enough"}
            plural = pobj.tag_ in {"NNS", "NNPS"}
        else:
            enough = next((c for c in attr.children if c.lower_ == "enough" and c.i < attr.i), None)
            if enough is None or enough.i != attr.left_edge.i:
                continue
            ops, plural = {enough.i: "a shortage of"}, False
        if (root.lower_, plural) in _BE_AGREE:
            ops[root.i] = match_case(_BE_AGREE[(root.lower_, plural)], root.text)
        out.append(Rewrite(ops, "contradictory"))
    return out


def with_negation(doc, root, ops: Ops, base: str | None = None) -> Ops | None:
    """The rewrite with its clause negated; do-support and copula negation are combined with a swapped token."""
    neg = negate(doc, root)
    if neg is None:
        return None
    out = dict(ops)
    for i, v in neg.items():
        if i not in out:
            out[i] = v
        elif v.startswith(doc[i].text + " ") and out[i]:
            out[i] = out[i] + v[len(doc[i].text) :]  # "is" -> "is not": "are" -> "are not"
        elif " not " in v and base is not None and i == root.i:
            out[i] = f"{v.split(' not ')[0]} not {base}"  # "did not close" -> "did not keep"
        else:
            return None
    return out


def quantified_subject(root) -> bool:
    """A subject such as "many workers" or "40 percent of staff": two predicates can hold of different members."""
    for subj in (c for c in root.children if c.dep_ in {"nsubj", "nsubjpass", "expl"}):
        if any(t.like_num or t.lower_ in _QUANTITY_WORDS for t in subj.subtree):
            return True
    return False


def plainly_negated(root) -> bool:
    """ "The depot will not close": a "not" on the verb and nothing else negative or conditional in the clause."""
    negs = [c for c in root.children if c.dep_ == "neg"]
    subjects = [c for c in root.children if c.dep_ in {"nsubj", "nsubjpass", "expl"}]
    if not negs or not subjects or any(n.i < s.i for n in negs for s in subjects):
        return False  # "Not a single depot will close": the "not" belongs to the subject
    for c in root.children:
        if c.dep_ == "neg":
            continue
        if c.lower_ in NEGATION_WORDS or (c.dep_ == "mark" and c.lower_ in {"if", "unless", "whether"}):
            return False
        if any(t.lower_ in NEGATION_WORDS for t in c.subtree if c.dep_ in {"nsubj", "nsubjpass", "dobj", "attr"}):
            return False
    return True


def rewrites(doc, root) -> list[tuple[Rewrite, object]]:
    """Every predicate rewrite of one clause with the clause root to negate, skipping pairs antonyms.tsv makes.

    A plainly negated clause keeps its "not" and takes only contradictory rewrites: "will not close" vs "will
    not stay open" still conflict (contrary ones do not: "did not accept" and "did not reject" agree).
    """
    negated = plainly_negated(root)
    if (not positive(root) and not negated) or modal(root):
        return []
    found: list[Rewrite] = []
    subjects = [c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}]
    if any(t.lower_ in NEGATION_WORDS for s in subjects for t in s.subtree):
        return []  # "Nobody's pay goes down" / "Nobody's pay rises" can both be true
    if quantified_subject(root) and not any(c.dep_ == "expl" for c in root.children):
        return [(r, root) for r in quantity_word_rewrites(doc, root)]
    if root.pos_ == "VERB":
        found += verb_rewrites(doc, root)
    if root.lemma_.lower() in _CARRIERS and not negated:
        for x in (c for c in root.children if c.dep_ == "xcomp" and c.pos_ == "VERB"):
            if positive(x):
                found += [Rewrite(r.ops, r.kind, None, r.single) for r in verb_rewrites(doc, x)]
    found += copula_rewrites(doc, root) + noun_rewrites(doc, root) + quantity_word_rewrites(doc, root)
    ant = antonym_lexicon()
    keep = []
    for r in found:
        if r.single and any(r.single[1] in ant.get((r.single[0], p), ()) for p in ("VERB", "ADJ")):
            continue
        if negated and r.kind != "contradictory":
            continue
        keep.append((r, root))
    return keep


def predicate_pairs(doc, rng: random.Random, max_per_family: int = 3) -> list[SynPair]:
    """All labelled pairs from up to ``max_per_family`` predicate rewrites of the claim."""
    orig = Sentence(render(doc, {}), 0)
    cands = [rw for s in doc.sents for rw in rewrites(doc, s.root)]
    rng.shuffle(cands)
    out: list[SynPair] = []
    seen: set[str] = set()
    for rw, root in cands:
        text = render(doc, rw.ops)
        if text == orig.text or text in seen or len(seen) >= max_per_family:
            continue
        seen.add(text)
        x = Sentence(text, 1, rw.ops)
        neg_c = negate(doc, root)
        nc = Sentence(render(doc, neg_c), 1) if neg_c is not None else None
        neg_x = with_negation(doc, root, rw.ops, rw.base)
        nx = Sentence(render(doc, neg_x), 2) if neg_x is not None else None
        out += substitution_family(orig, x, nc, nx, rw.kind, ORIGIN, rng)
    return out
