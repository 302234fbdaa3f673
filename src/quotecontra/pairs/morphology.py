"""English verb inflection for the synthetic edits: the form of a lemma for a Penn tag, and case matching."""

from __future__ import annotations

import re

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
