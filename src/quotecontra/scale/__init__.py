"""Scale-out backend: the annotate and predict stages over a Ray cluster (``annotate.backend=ray``).

The input is read as a Ray Dataset (a folder of .txt/.html files, jsonl shards or parquet shards), batches of
articles are mapped over a pool of actors that each load spaCy (or the classifier) once, and the driver streams
the results, in input order, into the same files the local backend writes (articles.jsonl, quotes.jsonl, the
report) plus sharded parquet under ``run_dir/quotes_parquet/``. Outputs equal the local backend's record for
record: the per-article reader logic of :mod:`quotecontra.readers` and the per-article cache of
:mod:`quotecontra.annotate` are reused, not re-implemented.

Order: the driver lists the input files exactly as the local reader does and Ray Data runs with
``preserve_order``; every row carries its ordinal (file index, line) and the driver checks the order, so a
reordering would fail loudly rather than silently permute records.

``ray.address`` joins an existing cluster (``auto`` or ``ray://host:port``); without it a local cluster sized to
``ray.num_workers`` starts and is shut down at the end. On a multi-node cluster the input, the run dir and its
``.cache/`` must live on storage that every node sees (the usual Ray requirement for local paths).
"""

from quotecontra.scale.annotate import AnnotateActor, annotate_ray
from quotecontra.scale.cluster import MissingExtraError, import_ray, ray_session
from quotecontra.scale.inputs import InputFiles, list_inputs
from quotecontra.scale.predict import predict_ray, same_records

__all__ = [
    "AnnotateActor",
    "InputFiles",
    "MissingExtraError",
    "annotate_ray",
    "import_ray",
    "list_inputs",
    "predict_ray",
    "ray_session",
    "same_records",
]
