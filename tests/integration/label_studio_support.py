"""Helpers shared by the tests that run a real Label Studio server (the API round trip and the browser test).

Label Studio lives in its own virtual environment under ~/.cache/quotecontra (made on first use, about a
minute and 1 GB; set QUOTECONTRA_LS_VENV to put it elsewhere). The server runs on 127.0.0.1 with a fresh data
dir and a legacy API token enabled for its organisation, and is stopped by its pid. The processes it starts run
under ``nice`` (QUOTECONTRA_TEST_NICE, default 19) so a test never slows a job that shares the machine.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LS_VERSION = "1.23.2"
VENV = Path(os.environ.get("QUOTECONTRA_LS_VENV", Path.home() / ".cache" / "quotecontra" / "label-studio-venv"))
TOKEN = "quotecontra-test-token-0123456789"
ADMIN = "admin@example.org"
PASSWORD = "quotecontra-test-pw"
NICE = ["nice", "-n", os.environ.get("QUOTECONTRA_TEST_NICE", "19")]


def timed(timings: dict[str, float], name: str, t0: float) -> None:
    timings[name] = round(time.perf_counter() - t0, 1)


def ensure_label_studio(timings: dict[str, float] | None = None) -> Path:
    """The venv's python, installing label-studio on first use (a marker file says the install finished)."""
    marker = VENV / f".installed-label-studio-{LS_VERSION}"
    python = VENV / "bin" / "python"
    if marker.exists():
        return python
    t0 = time.perf_counter()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
    subprocess.run(
        [*NICE, str(python), "-m", "pip", "install", "-q", f"label-studio=={LS_VERSION}"],
        check=True,
        timeout=1200,
    )
    marker.touch()
    if timings is not None:
        timed(timings, "install_label_studio_s", t0)
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Token {self.token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} -> {exc.code}: {exc.read()[:2000]!r}") from exc
        return json.loads(raw) if raw else None


def wait_for_health(base: str, proc: subprocess.Popen, log: Path, limit: float = 0) -> None:
    """Wait for /health: 600 s by default, QUOTECONTRA_LS_START_S to change it (the first start migrates a fresh
    database, which takes minutes under nice on a busy machine)."""
    limit = limit or float(os.environ.get("QUOTECONTRA_LS_START_S", "600"))
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"label-studio exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    raise AssertionError(f"label-studio did not answer /health within {limit}s:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True: its own process group, by its pid."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def running_server(data_dir: Path, timings: dict[str, float] | None = None) -> Iterator[Api]:
    """A Label Studio server on a free port with a fresh data dir, the admin user and its API token."""
    python = ensure_label_studio(timings)
    port = free_port()
    log = data_dir / "server.log"
    env = {
        **os.environ,
        "LABEL_STUDIO_USERNAME": ADMIN,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "DJANGO_DB": "sqlite",
    }
    cmd = [
        *NICE,
        str(python),
        "-m",
        "label_studio.server",
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--username",
        ADMIN,
        "--password",
        PASSWORD,
        "--user-token",
        TOKEN,
        "--enable-legacy-api-token",
    ]
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, proc, log)
        if timings is not None:
            timed(timings, "server_start_to_health_s", t0)
        yield Api(base, TOKEN)
    finally:
        stop(proc)


def tasks_of(api: Api, project: int) -> list[dict[str, Any]]:
    got = api.call("GET", f"/api/tasks/?project={project}&page_size=1000")
    return got["tasks"] if isinstance(got, dict) else got


def create_project(api: Api, title: str, config: str, tasks: list[dict[str, Any]]) -> int:
    """A project with one of our labeling configs and our tasks imported (every task and prediction counted)."""
    proj = api.call("POST", "/api/projects/", {"title": title, "label_config": config})
    imported = api.call("POST", f"/api/projects/{proj['id']}/import", tasks, timeout=120)
    assert imported["task_count"] == len(tasks)
    assert imported["prediction_count"] == sum(len(t["predictions"]) for t in tasks)
    assert len(tasks_of(api, proj["id"])) == len(tasks)
    return proj["id"]


def export_project(api: Api, project: int) -> list[dict[str, Any]]:
    """The project as Label Studio's JSON export (what an annotator downloads with Export -> JSON)."""
    return api.call("GET", f"/api/projects/{project}/export?exportType=JSON", timeout=120)


def import_annotations_cli(exports: Path, run_dir: Path, gold_dir: Path) -> dict[str, Any]:
    """``quotecontra import-annotations`` on an export file or folder; returns the import summary."""
    cli = [sys.executable, "-m", "quotecontra.cli", "import-annotations", f"file={exports}", f"run_dir={run_dir}"]
    cli += [f"export.import_dir={gold_dir}", "mlflow.enabled=false"]
    done = subprocess.run(
        [*NICE, *cli],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((run_dir / "import_summary.json").read_text())
