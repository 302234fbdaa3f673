"""File names made from ids, and the check that a path stays in its folder.

Article, pair and split ids come from input files and from Label Studio exports, so they may hold anything: ``../``,
an absolute path, a NUL byte, a Windows device name, thousands of characters. Every file name built from an id goes
through :func:`safe_name`, and every path written under a folder through :func:`inside`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Windows opens these as devices whatever the extension (CON.json is the console), in any case.
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{p}{n}" for p in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def safe_name(name: str) -> str:
    """A readable file name for ``name``: [A-Za-z0-9._-] only, at most 120 characters, never '', '.' or '..'.

    A name that is already safe is returned unchanged, so ordinary ids keep their ordinary file names. Anything
    else is slugged and gets a short hash of the original, so two ids that slug alike still get two names.
    Raises ValueError on a NUL byte (no file system takes one; it is a sign of a crafted id).
    """
    if not isinstance(name, str):
        raise TypeError(f"a file name needs a string id, got {type(name).__name__}: {name!r:.80}")
    if "\0" in name:
        raise ValueError(f"id {name!r:.80} contains a NUL byte: it cannot name a file")
    slug = _UNSAFE.sub("-", name).strip(".-")  # no leading dot (hidden file, '..'), no trailing dot (Windows)
    changed = slug != name
    if slug.split(".", 1)[0].upper() in _DEVICES:
        slug, changed = f"_{slug}", True
    if not slug:
        slug, changed = "id", True
    if changed or len(slug) > MAX_NAME:
        slug = f"{slug[: MAX_NAME - 11].rstrip('.-')}-{_digest(name)}"
    return slug


def inside(folder: str | Path, name: str | Path) -> Path:
    """``folder / name``, resolved, after checking that it stays inside ``folder`` (links followed).

    ``name`` may have several parts (``ab/abcd.jsonl``); an absolute name, ``..`` or a link that leaves the folder
    raises ValueError naming both, so a crafted id can never make a write land elsewhere.
    """
    if "\0" in str(name):
        raise ValueError(f"file name {str(name)!r:.80} contains a NUL byte")
    base = Path(folder).resolve()
    target = (base / name).resolve()
    if target == base or not target.is_relative_to(base):
        raise ValueError(f"refusing to write {str(name)!r:.200}: it resolves to {target}, outside {base}")
    return target
