"""Check gold files in data/gold against their articles in data/samples (used by corpus authors and tests)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"contradiction", "entailment", "neutral"}
TYPES = {"direct", "mixed", "indirect"}


def norm(s: str) -> str:
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", s)


def check(path: Path) -> list[str]:
    errs: list[str] = []
    g = json.loads(path.read_text(encoding="utf-8"))
    art = ROOT / "data" / "samples" / g["article"]
    if not art.exists():
        return [f"{path.name}: article {art} missing"]
    text = norm(art.read_text(encoding="utf-8"))
    ids = set()
    for q in g["quotes"]:
        ids.add(q["id"])
        if q["type"] not in TYPES:
            errs.append(f"{path.name} {q['id']}: bad type {q['type']}")
        pieces = q.get("pieces") or [q["text"]]
        for p in pieces:
            if norm(p) not in text:
                errs.append(f"{path.name} {q['id']}: text not verbatim in article: {p[:60]!r}")
        if not isinstance(q["speaker"], list) and q["speaker"] is not None:
            errs.append(f"{path.name} {q['id']}: speaker must be a list of aliases or null")
        if not isinstance(q["target"], list) or not q["target"]:
            errs.append(f"{path.name} {q['id']}: target must be a non-empty list")
    for p in g.get("pairs", []):
        if p["a"] not in ids or p["b"] not in ids:
            errs.append(f"{path.name}: pair {p} names unknown quote")
        if p["label"] not in LABELS:
            errs.append(f"{path.name}: pair label {p['label']}")
    return errs


if __name__ == "__main__":
    files = sorted((ROOT / "data" / "gold").glob("*.json"))
    errors = [e for f in files for e in check(f)]
    for e in errors:
        print(e)
    print(f"{len(files)} gold files, {len(errors)} errors")
    sys.exit(1 if errors else 0)
