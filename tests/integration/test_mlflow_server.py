"""A real `mlflow server` on 127.0.0.1: a stage logs to it over HTTP and the run reads back with MlflowClient."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration  # a real cluster/server: make test-integration, not make test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path):
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [
            str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
            "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1",
        ],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"), start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mlflow server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


TOKEN = "s3cr3t-T0KEN"


def test_stage_logs_to_server(mlflow_server: str, tmp_path: Path) -> None:
    """Logged over HTTP with credentials in the URI (the server ignores them): the token is printed nowhere."""
    from mlflow.tracking import MlflowClient

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first = sorted((ROOT / "data" / "samples").glob("*.txt"))[0]
    shutil.copy(first, corpus)
    with_token = mlflow_server.replace("http://", f"http://user:{TOKEN}@")
    res = subprocess.run(
        [
            sys.executable, "-m", "quotecontra.cli", "annotate", f"input={corpus}", f"run_dir={tmp_path / 'run'}",
            f"mlflow.tracking_uri={with_token}", "mlflow.experiment=server-test",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert TOKEN not in res.stdout + res.stderr
    assert f"at {mlflow_server}/#/experiments/" in res.stdout  # the summary's link to the run, without the token
    leaked = [p for p in (tmp_path / "run").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert not leaked, f"token written to {leaked}"
    client = MlflowClient(tracking_uri=mlflow_server)
    exp = client.get_experiment_by_name("server-test")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.data.tags["stage"] == "annotate"
    assert run.data.params["input"] == str(corpus)
    assert run.data.metrics["quotes"] > 0
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"quotes.jsonl", "config.yaml"}
    config = Path(client.download_artifacts(run.info.run_id, "config.yaml", str(tmp_path)))
    assert TOKEN not in config.read_text()
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"
