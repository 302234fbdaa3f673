"""Parallel sweep jobs on one fresh sqlite MLflow store: each gets the one experiment and logs its run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

JOB = textwrap.dedent(
    """
    import sys
    import mlflow
    from quotecontra.tracking import setup_mlflow

    exp_id = setup_mlflow({"tracking_uri": sys.argv[1], "experiment": "sweep"})
    with mlflow.start_run(experiment_id=exp_id, run_name=f"job-{sys.argv[2]}"):
        mlflow.log_metric("x", float(sys.argv[2]))
    print(exp_id)
    """
)


def test_jobs_started_together_on_a_fresh_store_do_not_race(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"}
    jobs = [
        subprocess.Popen([sys.executable, "-c", JOB, uri, str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
        for i in range(4)
    ]  # fmt: skip
    outs = [job.communicate(timeout=300) for job in jobs]
    assert [job.returncode for job in jobs] == [0] * 4, [err[-2000:] for _, err in outs]
    assert len({out.strip() for out, _ in outs}) == 1  # one experiment, shared

    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["sweep"])
    assert sorted(runs["tags.mlflow.runName"]) == [f"job-{i}" for i in range(4)]
