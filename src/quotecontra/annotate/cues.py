"""The reporting-cue lexicon: verbs and nouns that introduce what somebody said, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CUES_FILE = Path(__file__).resolve().parents[1] / "resources" / "cues.txt"

# Cues that also have a common non-reporting sense ("call a meeting", "show a film", "accept an offer"): they
# count only with a clausal complement or a quoted fragment, never through weaker patterns.
_AMBIGUOUS = (
    "call charge order show point detail question challenge attack welcome thank accept reject dismiss cite quote "
    "signal project estimate answer object brief publish post leak correct hail praise blame blast slam agree"
)
AMBIGUOUS = frozenset(_AMBIGUOUS.split())


@dataclass(frozen=True)
class Lexicon:
    verbs: frozenset[str]
    nouns: frozenset[str]

    def __len__(self) -> int:
        return len(self.verbs | self.nouns)


def parse_lexicon(text: str) -> Lexicon:
    """Parse the ``[verbs]``/``[nouns]`` file format; comments start with '#'."""
    sections: dict[str, set[str]] = {"verbs": set(), "nouns": set()}
    current: set[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            if name not in sections:
                raise ValueError(f"cues lexicon line {lineno}: unknown section [{name}] (use [verbs] or [nouns])")
            current = sections[name]
            continue
        if current is None:
            raise ValueError(f"cues lexicon line {lineno}: {line!r} before any [verbs]/[nouns] section")
        current.add(line)
    return Lexicon(frozenset(sections["verbs"]), frozenset(sections["nouns"]))


@lru_cache(maxsize=1)
def _shipped_text() -> str:
    return CUES_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def load_lexicon(extra: tuple[str, ...] = ()) -> Lexicon:
    """The shipped lexicon plus ``annotate.extra_cues`` (added as both verbs and nouns)."""
    base = parse_lexicon(_shipped_text())
    more = frozenset(e.strip().lower() for e in extra if e.strip())
    return Lexicon(base.verbs | more, base.nouns | more)


def lexicon_digest() -> str:
    """Part of the incremental cache key: editing the lexicon invalidates cached records."""
    import hashlib

    return hashlib.sha256(_shipped_text().encode()).hexdigest()[:16]
