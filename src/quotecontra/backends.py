"""Where the annotate and predict stages run: ``local`` (the stage modules) or ``ray`` (:mod:`quotecontra.scale`).

The choice lives here, above both, so that neither stage module imports the Ray backend that imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from quotecontra.stage_result import StageResult
    from quotecontra.tracking import Tracker


def annotate(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """The annotate stage on ``annotate.backend``: the same outputs on a Ray cluster as locally."""
    if str(cfg.annotate.backend) == "ray":
        from quotecontra.annotate.extractors import extractor_of
        from quotecontra.scale import annotate_ray

        extractor_of(cfg)  # fails naming annotate.extractor when it cannot run on Ray
        return annotate_ray(cfg, tracker)  # the one annotate stage, fed by Ray actors
    from quotecontra.annotate import run as run_annotate

    return run_annotate(cfg, tracker)


def predict(cfg: DictConfig, tracker: Tracker) -> StageResult:
    """The predict stage on ``predict.backend``: a pair file is labelled on Ray actors with ``ray``."""
    if str(cfg.predict.backend) == "ray" and cfg.predict.file:
        from quotecontra.scale import predict_ray

        return predict_ray(cfg, tracker)
    from quotecontra.predict import run as run_predict

    return run_predict(cfg, tracker)
