"""The predict stage: label new (premise, hypothesis) pairs with a registered model or a trained run dir.

``predict.model`` is ``models:/quotecontra-classifier/<version|latest>`` (downloaded from the MLflow registry),
a run dir (its model/) or a model dir. Input is a jsonl of pairs (``predict.file``) or one pair given as two
strings (``predict.premise`` / ``predict.hypothesis``). Lines without both texts are skipped and counted.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from quotecontra.models import Classifier, load_classifier, set_inference_precision
from quotecontra.runpaths import replacing
from quotecontra.stage_result import StageResult
from quotecontra.tracking import Tracker, setup_mlflow

log = logging.getLogger(__name__)


def resolve_registered(uri: str) -> str:
    """models:/NAME/latest -> models:/NAME/<highest version> (the registry's 'latest' alias is not always set)."""
    parts = uri.removeprefix("models:/").split("/")
    if len(parts) != 2 or not parts[0]:
        raise ValueError(f"predict.model={uri!r}: expected models:/NAME/VERSION or models:/NAME/latest")
    name, ver = parts
    if ver != "latest":
        return uri
    from mlflow import MlflowClient

    versions = MlflowClient().search_model_versions(f"name='{name}'")
    if not versions:
        raise LookupError(f"no registered versions of {name!r}: train with mlflow.log_model=true first")
    return f"models:/{name}/{max(int(v.version) for v in versions)}"


def registered_calibration(uri: str) -> dict[str, Any] | None:
    """The temperature and threshold a registered version was trained with (its tag), validated like the file."""
    from mlflow import MlflowClient

    from quotecontra.calibrate import validate_calibration
    from quotecontra.train import CALIBRATION_TAG

    name, version = uri.removeprefix("models:/").split("/")
    raw = MlflowClient().get_model_version(name, version).tags.get(CALIBRATION_TAG)
    return validate_calibration(json.loads(raw), f"{uri} tag {CALIBRATION_TAG}") if raw else None


def load_model(spec: str, cfg: DictConfig) -> Classifier:
    """A registry URI (downloaded to a temp dir) or a local run/model dir."""
    if spec.startswith("models:/") or spec.startswith("runs:/"):
        import mlflow

        setup_mlflow(cfg.mlflow)
        uri = resolve_registered(spec) if spec.startswith("models:/") else spec
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tempfile.mkdtemp(prefix="qc-model-"))
        log.info("loaded %s from %s", uri, local)
        clf = load_classifier(local)
        if spec.startswith("models:/"):
            clf.calibration = registered_calibration(uri)
        return clf
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(f"predict.model={spec!r}: no such dir and not a models:/ URI")
    return load_classifier(path)


def read_pairs(path: Path) -> Iterator[dict[str, Any]]:
    """jsonl records with premise and hypothesis (other fields are kept); bad lines are logged and skipped."""
    skipped = 0
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                rec = None
            texts = [rec.get(k) for k in ("premise", "hypothesis")] if isinstance(rec, dict) else [None]
            if not all(isinstance(t, str) and t.strip() for t in texts):
                skipped += 1  # not an object, or a text missing, empty or not a string (a number would break a batch)
                log.warning("%s:%d: no premise/hypothesis strings, skipped", path, lineno)
                continue
            yield rec
    if skipped:
        log.warning("%s: %d lines skipped", path, skipped)


def label_pairs(clf: Classifier, records: Sequence[dict[str, Any]], batch_size: int = 64) -> list[dict[str, Any]]:
    """Each record plus ``predicted`` (label) and ``probs`` (label -> probability)."""
    probs = clf.predict_proba(
        [r["premise"] for r in records], [r["hypothesis"] for r in records], batch_size, progress=len(records) > 256
    )
    probs, predicted = clf.decide(probs)
    out = []
    for rec, p, label in zip(records, probs, predicted, strict=True):
        scores = {name: round(float(x), 4) for name, x in zip(clf.labels, p, strict=True)}
        out.append({**rec, "predicted": label, "probs": scores})
    return out


def run(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """Label predict.file or the predict.premise/hypothesis pair; write predict.output (jsonl)."""
    import torch

    pcfg = cfg.predict
    if pcfg.file:
        records = list(read_pairs(Path(pcfg.file)))
    elif pcfg.premise and pcfg.hypothesis:
        records = [{"premise": pcfg.premise, "hypothesis": pcfg.hypothesis}]
    else:
        raise ValueError(
            "predict needs predict.file=PAIRS.jsonl or both predict.premise=... and predict.hypothesis=..."
        )
    torch.set_num_threads(int(cfg.runtime.torch_threads))
    clf = set_inference_precision(load_model(str(pcfg.model), cfg), cfg.runtime.bf16)
    labelled = label_pairs(clf, records, int(cfg.runtime.eval_batch_size))
    out = Path(pcfg.output)
    with replacing(out) as tmp, tmp.open("w", encoding="utf-8") as fh:  # a killed run leaves the old file or the new
        for rec in labelled:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    counts = Counter(r["predicted"] for r in labelled)
    summary = [f"{len(labelled)} pairs labelled with {pcfg.model}: {dict(counts)}"]
    if len(labelled) == 1:
        summary.append(f"{labelled[0]['predicted']}  {labelled[0]['probs']}")
    metrics = {"n": float(len(labelled)), **{f"predicted.{k}": float(v) for k, v in counts.items()}}
    return StageResult(metrics=metrics, outputs=[out], summary=summary)
