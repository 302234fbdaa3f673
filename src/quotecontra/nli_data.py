"""External NLI pairs: CAD (tsv), Breaking NLI (jsonl) and, where a hub is reachable, ``hub:NAME`` datasets.

Every reader yields plain dicts with the columns the classifier needs (premise, hypothesis, label, origin), so an
external set can be mixed into the quote pairs or evaluated like them. Rows with a label outside the three classes
(SNLI's ``-``/``-1`` for "no consensus") are skipped and counted, never crashed on.
"""

from __future__ import annotations

import csv
import json
import logging
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from quotecontra.records import LABELS

log = logging.getLogger(__name__)

NliRow = dict[str, str]
# SNLI / MultiNLI on the hub store labels as class ids in this order.
HUB_LABELS = ("entailment", "neutral", "contradiction")
CAD_DEFAULT = "revised_combined"


def _row(premise: str, hypothesis: str, label: str, origin: str) -> NliRow | None:
    label = (label or "").strip().lower()
    premise, hypothesis = (premise or "").strip(), (hypothesis or "").strip()
    if label not in LABELS or not premise or not hypothesis:
        return None
    return {"premise": premise, "hypothesis": hypothesis, "label": label, "origin": origin}


def _counted(rows: Iterable[NliRow | None], source: str) -> Iterator[NliRow]:
    skipped = 0
    for r in rows:
        if r is None:
            skipped += 1
            continue
        yield r
    if skipped:
        log.info("%s: skipped %d rows without a 3-way label or text", source, skipped)


def read_cad_tsv(path: Path, origin: str = "cad") -> list[NliRow]:
    """CAD files are tsv with a header ``sentence1 sentence2 gold_label``."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"sentence1", "sentence2", "gold_label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: not a CAD/SNLI tsv, missing columns {sorted(missing)}")
        rows = (_row(r["sentence1"], r["sentence2"], r["gold_label"], origin) for r in reader)
        return list(_counted(rows, str(path)))


def read_jsonl_nli(path: Path, origin: str = "breaking_nli") -> list[NliRow]:
    """SNLI-style jsonl (Breaking NLI): sentence1, sentence2, gold_label (+ category kept as the origin slice)."""
    out: list[NliRow | None] = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: not JSON, skipped", path, lineno)
                out.append(None)
                continue
            premise = d.get("sentence1", d.get("premise", ""))
            hypothesis = d.get("sentence2", d.get("hypothesis", ""))
            slice_ = f"{origin}:{d['category']}" if d.get("category") else origin
            out.append(_row(premise, hypothesis, d.get("gold_label", d.get("label", "")), slice_))
    return list(_counted(out, str(path)))


def read_hub(name: str, split: str = "train") -> list[NliRow]:
    """``datasets.load_dataset(name)`` for SNLI-like sets (premise, hypothesis, label id); needs a hub."""
    import datasets

    ds = datasets.load_dataset(name, split=split)
    rows = []
    for r in ds:
        label = r["label"]
        label = HUB_LABELS[label] if isinstance(label, int) and 0 <= label < 3 else str(label)
        rows.append(_row(r["premise"], r["hypothesis"], label, f"hub:{name}"))
    return list(_counted(rows, f"hub:{name}"))


def cad_path(shared_dir: Path, split: str, variant: str = CAD_DEFAULT) -> Path:
    return Path(shared_dir) / "nli" / "cad" / variant / f"{split}.tsv"


def breaking_nli_path(shared_dir: Path) -> Path:
    return Path(shared_dir) / "nli" / "breaking_nli" / "data" / "dataset.jsonl"


def load_source(source: str, shared_dir: Path, split: str = "train") -> list[NliRow]:
    """One configured source: 'cad' or 'cad/<variant>', 'breaking_nli', 'hub:NAME', or a tsv/jsonl path."""
    if source == "cad" or source.startswith("cad/"):
        variant = source.split("/", 1)[1] if "/" in source else CAD_DEFAULT
        return read_cad_tsv(cad_path(shared_dir, split, variant), origin="cad")
    if source == "breaking_nli":
        return read_jsonl_nli(breaking_nli_path(shared_dir))
    if source.startswith("hub:"):
        return read_hub(source.removeprefix("hub:"), split="validation_matched" if split == "dev" else split)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"NLI source {source!r}: not 'cad', 'breaking_nli', 'hub:NAME' or an existing file")
    if path.suffix == ".tsv":
        return read_cad_tsv(path, origin=path.stem)
    return read_jsonl_nli(path, origin=path.stem)


def sample(rows: list[NliRow], max_pairs: int, seed: int) -> list[NliRow]:
    """A seeded, label-stratified-by-chance subsample (keeps the input order stable for a given seed)."""
    if max_pairs <= 0 or len(rows) <= max_pairs:
        return rows
    idx = sorted(random.Random(seed).sample(range(len(rows)), max_pairs))
    return [rows[i] for i in idx]


def load_sources(
    sources: Iterable[str], shared_dir: Path, max_pairs: int, seed: int, split: str = "train"
) -> list[NliRow]:
    """All configured sources, concatenated and capped at ``max_pairs`` in total."""
    rows: list[NliRow] = []
    for s in sources:
        rows.extend(load_source(s, shared_dir, split))
    rows = sample(rows, max_pairs, seed)
    log.info("external NLI pairs (%s): %d %s", split, len(rows), dict(Counter(r["label"] for r in rows)))
    return rows
