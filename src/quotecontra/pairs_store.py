"""A run's pairs dataset (``RUN/pairs/``): its one writer and its readers, so every stage reads one contract.

The pairs stage (and the export demo) write it with :func:`write_pairs`: ``hf/`` (a ``DatasetDict`` of the labelled
splits), ``<split>.parquet`` copies and ``natural_candidates.parquet`` (unlabelled natural pairs). Train, crossval,
evaluate and the active-loop bench read labelled rows (:func:`read_rows`); export and report read typed
:class:`~quotecontra.records.Pair` records (:func:`read_records`). A split ``datasets`` cannot load back (it saves an
empty split with no shard) is read from its parquet copy.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quotecontra.records import LABELS, Pair
from quotecontra.runpaths import RunPaths

log = logging.getLogger(__name__)
Row = dict[str, Any]
CANDIDATES_FILE = "natural_candidates"  # <pairs>/natural_candidates.parquet
CANDIDATES = "candidates"  # their key in read_records
ROW_FIELDS = ("id", "premise", "hypothesis", "label", "origin", "group", "target", "split")


def features() -> Any:
    """The column types of every split: the Pair fields, label a string column (None when unlabelled)."""
    from datasets import Features, Value
    from datasets import Sequence as HFSequence

    # one Value object per column: a shared one pickles differently and changes the datasets fingerprint
    special = {"article_ids": lambda: HFSequence(Value("string")), "similarity": lambda: Value("float64")}
    return Features({n: special.get(n, lambda: Value("string"))() for n in Pair.model_fields})


def to_dataset(pairs: Sequence[Pair]) -> Any:
    """A datasets.Dataset with the Pair fields as columns."""
    from datasets import Dataset

    feats = features()
    rows = [p.model_dump() for p in pairs]
    return Dataset.from_dict({k: [r[k] for r in rows] for k in feats}, features=feats)


def write_pairs(pairs_dir: Path, splits: Mapping[str, Sequence[Pair]], candidates: Sequence[Pair]) -> Path:
    """Write ``hf/``, one parquet per split and the candidates; replaces an earlier dataset. Returns ``pairs_dir``."""
    from datasets import DatasetDict

    from quotecontra.export.formats import save_hf

    paths = RunPaths.of(Path(pairs_dir).parent)
    paths.pairs.mkdir(parents=True, exist_ok=True)
    dd = DatasetDict({s: to_dataset(rows) for s, rows in splits.items()})
    if paths.pairs_hf.exists():
        shutil.rmtree(paths.pairs_hf)
    save_hf(dd, paths.pairs_hf)  # an empty split (a tiny corpus has no dev articles) must stay loadable
    for s, ds in dd.items():
        ds.to_parquet(str(paths.pairs_parquet(s)))
    to_dataset(candidates).to_parquet(str(paths.pairs_parquet(CANDIDATES_FILE)))
    return paths.pairs


def split_rows(pairs_hf: Path) -> dict[str, Any]:
    """Rows of each split of the pairs DatasetDict (a Dataset, or a list of dicts read from the parquet copy).

    ``datasets`` saves an empty split with no shard and then cannot load the dict back, so when the dict does not
    load, each split is read on its own, from its parquet copy when its folder fails.
    """
    import datasets
    import pandas as pd

    if not pairs_hf.exists():
        raise FileNotFoundError(f"{pairs_hf}: no pairs dataset; run `quotecontra pairs` first")
    try:
        dd = datasets.load_from_disk(str(pairs_hf))
        return {name: dd[name] for name in dd}
    except (IndexError, ValueError, FileNotFoundError) as exc:
        log.warning("%s does not load as a whole (%s): reading its splits one by one", pairs_hf, exc)
    names = json.loads((pairs_hf / "dataset_dict.json").read_text())["splits"]
    out: dict[str, Any] = {}
    for name in names:
        try:
            out[name] = datasets.load_from_disk(str(pairs_hf / name))
        except (IndexError, ValueError, FileNotFoundError):
            parquet = pairs_hf.parent / f"{name}.parquet"
            out[name] = pd.read_parquet(parquet).to_dict("records") if parquet.exists() else []
    return out


def labelled_rows(ds: Any) -> list[Row]:
    """premise/hypothesis/label/origin of every labelled pair; unlabelled ones cannot train or score."""
    rows = []
    for r in ds:
        if r.get("label") in LABELS and r.get("premise") and r.get("hypothesis"):
            rows.append({k: r.get(k) for k in ROW_FIELDS})
    return rows


def read_rows(pairs_hf: Path) -> dict[str, list[Row]]:
    """The labelled rows of each split (train, dev, test, natural): what the model stages train and score on."""
    return {name: labelled_rows(rows) for name, rows in split_rows(pairs_hf).items()}


def read_records(paths: RunPaths) -> tuple[dict[str, list[Pair]], dict[str, int]]:
    """Every split as Pair records, plus the natural candidates under ``candidates``; rows that are not valid
    Pair records are counted per split and logged, never fatal."""
    splits: dict[str, list[Pair]] = {}
    skipped: dict[str, int] = defaultdict(int)
    if paths.pairs_hf.exists():
        for name, rows in split_rows(paths.pairs_hf).items():
            splits[name] = _records(rows, name, skipped)
    cand = paths.pairs_parquet(CANDIDATES_FILE)
    if cand.exists():
        import pandas as pd

        splits[CANDIDATES] = _records(pd.read_parquet(cand).to_dict("records"), CANDIDATES, skipped)
    return splits, dict(skipped)


def _records(rows: Any, name: str, skipped: dict[str, int]) -> list[Pair]:
    fields = set(Pair.model_fields)
    out = []
    for row in rows:
        clean = {k: _plain(v) for k, v in dict(row).items() if k in fields}
        try:
            out.append(Pair.model_validate(clean))
        except ValidationError as exc:
            skipped[name] += 1
            log.warning("pairs/%s: skipped pair %s: %s", name, clean.get("id"), exc.errors()[0]["msg"])
    return out


def _plain(v: Any) -> Any:
    """numpy arrays and NaN from parquet -> lists and None, as the records expect."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, float) and v != v:
        return None
    return v
