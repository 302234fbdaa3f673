"""The Ray cluster: joining or starting one, the optional-extra check, quiet Ray Data logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

PARQUET_SUFFIXES = {".parquet"}
SHARD_ROWS = 100_000
"""Quote records per parquet shard under quotes_parquet/ (part-00000.parquet, ...)."""
READ_CPUS = 0.25
"""CPU share of a read task: reading is light, and a whole CPU would deadlock a cluster whose CPUs the actors hold."""


# ---- the cluster ----------------------------------------------------------------------------------------------
class MissingExtraError(ImportError):
    """An optional dependency group of quotecontra is not installed (the CLI prints this one line)."""


def import_ray() -> Any:
    """``ray`` with ``ray.data`` loaded: only backend=ray needs it, so it is the ``[ray]`` extra, imported here."""
    try:
        import ray
        import ray.data  # the submodule the backend uses
    except ImportError as exc:
        raise MissingExtraError(
            f"backend=ray needs Ray Data, which is not installed ({exc}); install the extra: "
            "pip install 'quotecontra[ray]' (or use backend=local)"
        ) from None
    return ray


@contextmanager
def ray_session(address: str | None, num_workers: int) -> Iterator[str]:
    """Join ``address`` or start a local cluster sized to the workers; shut down only what was started here.

    Yields how the cluster was obtained: ``reused`` (already initialised by the caller), ``joined`` or ``local``.
    A local cluster gets one logical CPU more than the actors so that read tasks always find a slot.
    """
    ray = import_ray()

    if ray.is_initialized():
        _quiet_ray_data()
        yield "reused"
        return
    if address:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        how = "joined"
    else:
        ray.init(
            num_cpus=num_workers + 1,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
        how = "local"
    try:
        _quiet_ray_data()
        yield how
    finally:
        ray.shutdown()


def _quiet_ray_data() -> None:
    """Order-preserving execution; Ray's own progress bars off (the driver shows one tqdm bar)."""
    ray = import_ray()

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
