"""Text matching for quote evaluation: normalisation, tokens, coverage/Jaccard/exact, speaker, cue and target matches.

Split from :mod:`quotecontra.quote_eval`, which re-exports these names.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


def normalize_text(text: str) -> str:
    """Straight quotes and apostrophes, plain dashes, single spaces: the seed gold types ' where articles have ’."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    return re.sub(r"\s+", " ", text).strip()


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens, punctuation dropped (an inner apostrophe stays: don't, Kyiv's)."""
    return _TOKEN.findall(normalize_text(text).lower())


def coverage(pred: Sequence[str], gold: Sequence[str]) -> float:
    """Share of the gold tokens that the prediction contains (multiset intersection)."""
    if not gold:
        return 0.0
    return sum((Counter(pred) & Counter(gold)).values()) / len(gold)


def jaccard(pred: Sequence[str], gold: Sequence[str]) -> float:
    cp, cg = Counter(pred), Counter(gold)
    union = sum((cp | cg).values())
    return sum((cp & cg).values()) / union if union else 0.0


def exact(pred: Sequence[str], gold: Sequence[str]) -> float:
    return 1.0 if list(pred) == list(gold) and gold else 0.0


def normalize_name(name: str) -> str:
    """Lowercase, straight quotes, no leading determiner or trailing punctuation: 'The Kremlin.' -> 'kremlin'."""
    s = normalize_text(name).lower().strip(" .,;:\"'")
    s = re.sub(r"'s$", "", s)
    return re.sub(r"^(the|a|an)\s+", "", s)


_IRREGULAR = {
    "said": "say",
    "says": "say",
    "told": "tell",
    "wrote": "write",
    "written": "write",
    "thought": "think",
    "spoke": "speak",
    "spoken": "speak",
    "made": "make",
    "gave": "give",
    "given": "give",
    "knew": "know",
    "known": "know",
    "felt": "feel",
    "held": "hold",
    "meant": "mean",
    "took": "take",
    "taken": "take",
    "saw": "see",
    "seen": "see",
    "heard": "hear",
    "began": "begin",
    "forgot": "forget",
    "sought": "seek",
    "taught": "teach",
    "went": "go",
    "gone": "go",
}


def stem(word: str) -> str:
    """Crude lemma: irregular verbs by table, then -ing/-ed/-es/-s stripped, final e and doubled consonant undone.

    Good enough to equate said/says/say, insisted/insisting/insists, argued/argues/arguing, admitted/admits.
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def speaker_matches(pred: str | None, aliases: Sequence[str] | None) -> bool:
    """Equal to an alias after normalisation; a null gold speaker wants a null prediction.

    A prediction ending in the canonical name's surname also counts when that surname-only alias is listed
    ('President Donald Trump', 'Mr. Trump' for ["Donald Trump", "Trump"]).
    """
    if not aliases:
        return pred is None or not pred.strip()
    if pred is None or not pred.strip():
        return False
    p = normalize_name(pred)
    names = [normalize_name(a) for a in aliases]
    if p in names:
        return True
    surname = names[0].split()[-1] if names[0] else ""
    return bool(surname) and surname in names and p.split()[-1] == surname


def cue_matches(pred: str | None, gold: str | None) -> bool:
    """Same cue word(s), or the same crude lemma word by word (claimed ~ claims, told ~ tell)."""
    if gold is None:
        return pred is None
    if pred is None:
        return False
    p, g = normalize_text(pred).lower(), normalize_text(gold).lower()
    if p == g:
        return True
    pw, gw = tokenize(p), tokenize(g)
    return bool(gw) and [stem(w) for w in pw] == [stem(w) for w in gw]


def target_matches(pred: str | None, aliases: Sequence[str] | None) -> bool:
    """Equal to an alias, or one contains the other as whole words ('European troops' ~ 'troops')."""
    if not aliases:
        return pred is None
    if pred is None or not pred.strip():
        return False
    p = " " + " ".join(tokenize(normalize_name(pred))) + " "
    for alias in aliases:
        a = " " + " ".join(tokenize(normalize_name(alias))) + " "
        if a.strip() and p.strip() and (a in p or p in a):
            return True
    return False
