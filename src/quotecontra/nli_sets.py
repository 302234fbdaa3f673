"""The English NLI sets under ``<shared_dir>/nli``: which files may train, which only evaluate, and one reader.

The registry mirrors the train / eval column of ``shared/nli/README.md``: a set's ``train`` files may be used for
training and tuning, its ``eval`` files never are. Stance sets are already mapped onto the three NLI labels there
(agree -> entailment, disagree -> contradiction, discuss -> neutral); FNC-1's ``unrelated`` is dropped (our pairs are
always about one target) and its headlines are joined to their article bodies. Binary sets (RTE, COVID-Fact) cannot
train a three-way head and are evaluation-only here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from quotecontra.nli_data import NliRow, read_cad_tsv, read_jsonl_nli
from quotecontra.records import LABELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NliSet:
    """One shared set: files relative to ``<shared_dir>/nli``, its domain and its licence (for the model card)."""

    name: str
    train: tuple[str, ...]
    eval: tuple[str, ...]
    domain: str
    licence: str
    reader: str = "jsonl"  # jsonl | cad_tsv | fnc1 | snli_jsonl


REGISTRY: dict[str, NliSet] = {
    s.name: s
    for s in [
        NliSet(
            "mnli",
            ("mnli_dev_matched/mnli_dev_matched.jsonl",),
            ("mnli_dev_mismatched_sample1000/mnli_dev_mismatched_sample1000.jsonl",),
            "5 MNLI genres",
            "MNLI (OANC CC-BY-3.0 and others)",
        ),
        NliSet(
            "snli",
            ("snli_dev_test_via_esnli/snli_dev.jsonl",),
            ("snli_dev_test_via_esnli/snli_test.jsonl",),
            "image captions",
            "CC BY-SA 4.0",
        ),
        NliSet(
            "anli",
            ("anli/anli_r1_dev.jsonl", "anli/anli_r2_dev.jsonl", "anli/anli_r3_dev.jsonl"),
            ("anli/anli_r1_test.jsonl", "anli/anli_r2_test.jsonl", "anli/anli_r3_test.jsonl"),
            "adversarial (Wikipedia, news, fiction, legal)",
            "CC BY-NC 4.0",
        ),
        NliSet("sick", ("sick/sick_train.jsonl",), ("sick/sick_test.jsonl",), "rewritten captions", "CC BY-NC-SA 3.0"),
        NliSet(
            "news_nli",
            (
                "vania2020_news_wiki_nli/base_news_train.jsonl",
                "vania2020_news_wiki_nli/sim_news_train.jsonl",
                "vania2020_news_wiki_nli/base_wiki_train.jsonl",
                "vania2020_news_wiki_nli/sim_wiki_train.jsonl",
            ),
            ("vania2020_news_wiki_nli/sim_news_test.jsonl", "vania2020_news_wiki_nli/base_wiki_test.jsonl"),
            "news (Gigaword) and Wikipedia premises",
            "Gigaword part research-only (LDC)",
        ),
        NliSet("claimdiff", ("claimdiff/claimdiff_train.jsonl",), (), "news claims, two outlets", "none stated"),
        NliSet(
            "emergent", ("emergent/emergent_train.jsonl",), (), "news headlines vs rumour claims", "none stated"
        ),  # its test headlines overlap FNC-1's: not evaluated when FNC-1 trains
        NliSet(
            "fnc1",
            ("fnc1/fnc1_train_all_stances_ref.jsonl",),
            (),
            "news headline vs article body",
            "none stated",
            reader="fnc1",
        ),
        NliSet(
            "cad", ("cad/all_combined/train.tsv",), ("cad/all_combined/test.tsv",), "captions", "Apache-2.0", "cad_tsv"
        ),
        NliSet("climate_fever", ("climate_fever/climate_fever_pairs.jsonl",), (), "claims vs Wikipedia", "none stated"),
        NliSet("healthver", ("healthver/healthver_dev.jsonl",), ("healthver/healthver_test.jsonl",), "COVID", "none"),
        NliSet(
            "perspectrum",
            ("perspectrum/perspectrum_train.jsonl",),
            ("perspectrum/perspectrum_test.jsonl",),
            "debate",
            "CC BY-SA 4.0",
        ),
        NliSet("ibm_claim_stance", ("ibm_claim_stance/ibm_claim_stance_train.jsonl",), (), "debate", "CC BY-SA 3.0"),
        NliSet(
            "control_nli",
            ("control_nli/control_train.jsonl",),
            ("control_nli/control_val.jsonl",),
            "long passages",
            "not stated",
        ),
        NliSet(
            "breaking_nli",
            (),
            ("breaking_nli/data/dataset.jsonl",),
            "one-word swaps of SNLI",
            "CC BY-SA 4.0",
            "snli_jsonl",
        ),
    ]
}

# The sets that train the NLI base by default: every three-way train set whose pairs fit a 128-token budget
# (ConTRoL's ~270-word passages do not), and CAD for minimal edits.
DEFAULT_TRAIN_SETS = (
    "mnli",
    "snli",
    "anli",
    "sick",
    "news_nli",
    "claimdiff",
    "emergent",
    "fnc1",
    "cad",
    "climate_fever",
    "healthver",
    "perspectrum",
    "ibm_claim_stance",
)
DEFAULT_EVAL_SETS = ("mnli", "snli", "anli", "sick", "news_nli", "cad", "healthver", "perspectrum", "breaking_nli")

# Published figures of comparable small encoders, for the report (not a target: they trained on ~25x more data).
_ALLNLI = {
    "figure": 0.890,
    "what": "cross-encoder/nli-MiniLM2-L6-H768 (6 layers, trained on all ~940k SNLI+MNLI pairs), accuracy on "
    "the combined SNLI+MNLI dev set, from its published training log",
}
PUBLISHED = {"mnli": _ALLNLI, "snli": _ALLNLI}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: not JSON, skipped", path, lineno)


def _rows_jsonl(path: Path, origin: str) -> list[NliRow]:
    out = []
    for d in _jsonl(path):
        label = str(d.get("label", "")).strip().lower()
        premise, hypothesis = _normalise(str(d.get("premise", ""))), _normalise(str(d.get("hypothesis", "")))
        if label in LABELS and premise and hypothesis:
            out.append({"premise": premise, "hypothesis": hypothesis, "label": label, "origin": origin})
    return out


def _rows_fnc1(path: Path, origin: str) -> list[NliRow]:
    """FNC-1 stances: the article body is the premise, the headline the hypothesis; ``unrelated`` is dropped."""
    bodies_file = path.with_name(path.name.replace("_all_stances_ref", "_bodies"))
    bodies = {str(d["body_id"]): _normalise(str(d.get("text", ""))) for d in _jsonl(bodies_file)}
    out = []
    for d in _jsonl(path):
        label = str(d.get("label", "")).lower()
        body = bodies.get(str(d.get("body_id")), "")
        if label in LABELS and body and d.get("hypothesis"):
            out.append(
                {"premise": body, "hypothesis": _normalise(str(d["hypothesis"])), "label": label, "origin": origin}
            )
    return out


def read_files(shared_dir: Path, nli_set: NliSet, role: str) -> list[NliRow]:
    """Rows of one set's ``train`` or ``eval`` files; a missing file is skipped with a logged reason."""
    files = nli_set.train if role == "train" else nli_set.eval
    rows: list[NliRow] = []
    for rel in files:
        path = Path(shared_dir) / "nli" / rel
        if not path.exists():
            log.warning("NLI set %s: %s not found, skipped", nli_set.name, path)
            continue
        if nli_set.reader == "cad_tsv":
            rows += read_cad_tsv(path, origin=nli_set.name)
        elif nli_set.reader == "snli_jsonl":
            rows += [{**r, "origin": nli_set.name} for r in read_jsonl_nli(path, origin=nli_set.name)]
        elif nli_set.reader == "fnc1":
            rows += _rows_fnc1(path, nli_set.name)
        else:
            rows += _rows_jsonl(path, nli_set.name)
    return rows


def get_set(name: str) -> NliSet:
    if name not in REGISTRY:
        raise ValueError(f"unknown NLI set {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def pair_key(row: NliRow) -> str:
    return hashlib.sha1(f"{row['premise'].lower()}\x00{row['hypothesis'].lower()}".encode()).hexdigest()


def stratified_sample(rows: Sequence[NliRow], n: int, rng: random.Random) -> list[NliRow]:
    """Up to ``n`` rows with labels as even as the set allows (a label short of n/3 gives all it has)."""
    if n <= 0 or len(rows) <= n:
        return list(rows)
    by_label: dict[str, list[NliRow]] = defaultdict(list)
    for r in rows:
        by_label[r["label"]].append(r)
    for v in by_label.values():
        rng.shuffle(v)
    out: list[NliRow] = []
    remaining = dict(by_label)
    budget = n
    while budget > 0 and remaining:
        share = max(1, budget // len(remaining))
        for label in sorted(remaining):
            take, rest = remaining[label][:share], remaining[label][share:]
            out += take[:budget]
            budget -= min(len(take), budget)
            remaining[label] = rest
        remaining = {k: v for k, v in remaining.items() if v}
    return out


def balance(rows: Sequence[NliRow], rng: random.Random) -> list[NliRow]:
    """Downsample every label to the rarest label's count, keeping each set's share of a label."""
    by_label: dict[str, list[NliRow]] = defaultdict(list)
    for r in rows:
        by_label[r["label"]].append(r)
    if len(by_label) < len(LABELS):
        return list(rows)
    n = min(len(v) for v in by_label.values())
    out = []
    for label in LABELS:
        v = list(by_label[label])
        rng.shuffle(v)
        out += v[:n]
    return out


@dataclass
class NliCorpus:
    train: list[NliRow]
    dev: list[NliRow]
    per_set: dict[str, dict[str, int]]  # set -> label -> count in train
    duplicates: int


def build_corpus(
    shared_dir: Path,
    sets: Iterable[str],
    max_per_set: int,
    max_pairs: int,
    dev_fraction: float,
    seed: int,
    do_balance: bool = True,
    exclude: Iterable[NliRow] = (),
) -> NliCorpus:
    """The union of the sets' train files: capped per set, deduplicated (also against ``exclude``), balanced, capped.

    A small dev slice is cut from the union (never from an eval file) for early stopping.
    """
    rng = random.Random(seed)
    seen = {pair_key(r) for r in exclude}
    rows: list[NliRow] = []
    duplicates = 0
    for name in sets:
        got = read_files(shared_dir, get_set(name), "train")
        uniq = []
        for r in got:
            k = pair_key(r)
            if k in seen:
                duplicates += 1
                continue
            seen.add(k)
            uniq.append(r)
        rows += stratified_sample(uniq, max_per_set, rng)
    if do_balance:
        rows = balance(rows, rng)
    rng.shuffle(rows)
    if max_pairs > 0:
        rows = stratified_sample(rows, max_pairs, rng) if len(rows) > max_pairs else rows
        rng.shuffle(rows)
    n_dev = round(len(rows) * dev_fraction)
    dev, train = rows[:n_dev], rows[n_dev:]
    per_set: dict[str, dict[str, int]] = defaultdict(dict)
    for (origin, label), n in Counter((r["origin"], r["label"]) for r in train).items():
        per_set[origin][label] = n
    return NliCorpus(train, dev, dict(per_set), duplicates)


def eval_sets(shared_dir: Path, names: Iterable[str], cap: int, seed: int) -> dict[str, list[NliRow]]:
    """Each set's eval files (capped, seeded); sets without eval files or whose files are absent are left out."""
    out = {}
    for name in names:
        rows = read_files(shared_dir, get_set(name), "eval")
        if rows:
            out[name] = stratified_sample(rows, cap, random.Random(seed)) if cap > 0 else rows
    return out
