"""A stage never replaces good outputs with an empty result unless told (allow_empty=true).

Each test leaves recognisable "previous" outputs in the run dir, runs the real stage on input that yields nothing,
and checks the previous outputs are untouched. run_stage is called directly, past the CLI's config validation, so
these exercise the stages' own guard (the second line of defence).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quotecontra.records import Article, Pair, write_jsonl
from quotecontra.stages import EmptyOutputError, run_stage

TEXT = (
    "Harbour vote delayed\n\nThe council said on Monday that the vote on the harbour bridge would be delayed "
    "until the spring, and the mayor told reporters that he was not worried about the cost of the work."
)


def _previous(paths: list[Path]) -> dict[Path, str]:
    out = {}
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"previous {p.name}\n")
        out[p] = p.read_text()
    return out


def test_annotate_with_zero_articles_keeps_the_previous_outputs(make_cfg, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "short.txt").write_text("Too short.\n")
    run = tmp_path / "run"
    before = _previous([run / "articles.jsonl", run / "quotes.jsonl"])
    with pytest.raises(EmptyOutputError, match=r"stage 'annotate' produced 0 articles.*skipped 1 empty.*kept"):
        run_stage("annotate", make_cfg(f"input={corpus}", run_dir=run))
    assert {p: p.read_text() for p in before} == before
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")], "temp files left behind"

    run_stage("annotate", make_cfg(f"input={corpus}", "allow_empty=true", run_dir=run))
    assert (run / "articles.jsonl").read_text() == "" and (run / "quotes.jsonl").read_text() == ""


def test_pairs_with_zero_pairs_keeps_the_previous_dataset(make_cfg, tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_jsonl(run / "articles.jsonl", [Article(id="a1", text=TEXT)])
    write_jsonl(run / "quotes.jsonl", [])  # annotate found no quotes: nothing to pair
    before = _previous([run / "pairs" / "hf" / "dataset_dict.json", run / "pairs" / "README.md"])
    with pytest.raises(EmptyOutputError, match=r"stage 'pairs' produced 0 pairs: 0 claims from 0 quote records"):
        run_stage("pairs", make_cfg("pairs.gold_dirs=[]", run_dir=run))
    assert {p: p.read_text() for p in before} == before


def _pairs_dataset(run: Path) -> None:
    from datasets import DatasetDict

    from quotecontra.pairs_store import to_dataset

    def pair(i: int, label: str, split: str) -> Pair:
        hyp = {"entailment": "The road is open.", "contradiction": "The road is not open.", "neutral": "It rained."}
        return Pair(
            id=f"{split}{i}", premise="The road is open, the council said.", hypothesis=hyp[label], label=label,
            origin="negation", group=f"g{i}", split=split,
        )  # fmt: skip

    labels = ["entailment", "contradiction", "neutral"]
    sizes = (("train", 24), ("dev", 6), ("test", 6), ("natural", 3))
    splits = {s: [pair(i, labels[i % 3], s) for i in range(n)] for s, n in sizes}
    DatasetDict({s: to_dataset(p) for s, p in splits.items()}).save_to_disk(str(run / "pairs" / "hf"))


@pytest.mark.slow
def test_train_with_zero_steps_keeps_the_previous_model(make_cfg, tmp_path: Path) -> None:
    """train.epochs=0 with max_steps=0: the Trainer takes no step, and its untrained weights must not replace the model."""
    run = tmp_path / "run"
    _pairs_dataset(run)
    before = _previous([run / "model" / "model.json"])
    cfg = make_cfg("train.epochs=0", "train.max_steps=0", run_dir=run)
    with pytest.raises(EmptyOutputError, match=r"stage 'train' produced 0 training steps: train.epochs=0.0"):
        run_stage("train", cfg)
    assert {p: p.read_text() for p in before} == before
