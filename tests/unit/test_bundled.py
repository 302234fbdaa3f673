"""Shipped configs and sample data: found in the installed package or the checkout, and from any working folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quotecontra import bundled

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_copies_are_found() -> None:
    assert bundled.conf_dir() == ROOT / "conf"
    assert bundled.shipped_path("data/samples") == ROOT / "data" / "samples"
    assert bundled.shipped_path("data/gold") == ROOT / "data" / "gold"


def test_the_installed_package_copy_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg" / "conf").mkdir(parents=True)
    monkeypatch.setattr(bundled, "PACKAGE_DIR", tmp_path / "pkg")
    assert bundled.conf_dir() == tmp_path / "pkg" / "conf"


def test_no_config_folder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(bundled, "CHECKOUT_DIR", tmp_path / "checkout")
    with pytest.raises(SystemExit, match=r"no config folder.*reinstall"):
        bundled.conf_dir()


def test_unknown_shipped_folder_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="conf, data/samples, data/gold"):
        bundled.shipped_path("data/nope")


def test_relative_path_kept_in_the_checkout_shipped_copy_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert bundled.bundled("data/samples") == "data/samples"  # same string as before: stage signatures unchanged
    monkeypatch.chdir(tmp_path)
    assert bundled.bundled("data/samples") == str(ROOT / "data" / "samples")
    assert bundled.bundled("corpus/mine") == "corpus/mine"  # not shipped: left for the stage to report missing
    (tmp_path / "data" / "samples").mkdir(parents=True)
    assert bundled.bundled("data/samples") == "data/samples"  # a user's own folder of that name wins


def test_composed_config_reads_the_shipped_corpus_from_an_empty_folder(tmp_path: Path) -> None:
    """The CLI's own composition (``--cfg job --resolve``) from a folder with no data/ in it."""
    res = subprocess.run(
        [sys.executable, "-m", "quotecontra.cli", "annotate", "--cfg", "job", "--resolve"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"input: {ROOT / 'data' / 'samples'}\n" in res.stdout
    assert f"- {ROOT / 'data' / 'gold'}\n" in res.stdout


def test_user_config_dir_adds_experiments(tmp_path: Path) -> None:
    """``--config-dir`` layers a user's folder on the shipped configs: its new options are selectable."""
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "mine.yaml").write_text("# @package _global_\nseed: 4242\n")
    (tmp_path / "mlflow").mkdir()
    (tmp_path / "mlflow" / "team.yaml").write_text("tracking_uri: http://127.0.0.1:5000\nexperiment: team\n")
    res = subprocess.run(
        [
            sys.executable, "-m", "quotecontra.cli", "annotate", "--config-dir", str(tmp_path),
            "experiment=mine", "mlflow=team", "--cfg", "job",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    assert "seed: 4242" in res.stdout
    assert "experiment: team" in res.stdout
