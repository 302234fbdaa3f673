"""Label Studio round trip: pipeline output -> tasks with pre-annotations, and an annotated export -> gold.

Article tasks carry the pipeline's quote records as a prediction: one ``Content`` region per content span, one
``Speaker`` and one ``Cue`` region per mention, relations from speaker and cue to the content (and between the
pieces of a split quote), and per-region controls for the quote type, the target and the canonical speaker.
Region ids are short (``c0``, ``s0``, ``k0``) and the task's ``qc_regions`` maps them to the records, so an
annotation that keeps a region maps back to its record. Pair tasks carry the pipeline's label, when it has one,
as a prediction on a three-way choice.

The import reads Label Studio's JSON export. A task that does not parse (another labeling config, a missing
field, a span that does not match the article text) is reported with its id and skipped; the others import.
Everything here is pure: no paths, no network. Modules: :mod:`.tasks` (export), :mod:`.regions` and :mod:`.parse`
(import), :mod:`.gold` (gold files, pair records, agreement).
"""

from quotecontra.export.label_studio.gold import (
    agreement_summary,
    gold_file_names,
    gold_files,
    pair_records,
    quote_id_map,
)
from quotecontra.export.label_studio.model import (
    AnnotationInfo,
    ArticleImport,
    ImportedQuote,
    ImportResult,
    PairImport,
    TaskError,
    check_id,
)
from quotecontra.export.label_studio.parse import parse_export
from quotecontra.export.label_studio.regions import BadTask, quotes_from_result
from quotecontra.export.label_studio.tasks import (
    CONTENT,
    CUE,
    HTML_TAGS,
    PAIR_CONTROLS,
    PAIR_TASK,
    PAIRS_CONFIG,
    QUOTE_CONTROLS,
    QUOTE_TASK,
    QUOTES_CONFIG,
    SPAN_LABELS,
    SPEAKER,
    article_task,
    labeling_config,
    pair_task,
    quote_regions,
    quote_result,
    regions_of,
)
from quotecontra.records import QUOTE_TYPES

__all__ = [
    "CONTENT",
    "CUE",
    "HTML_TAGS",
    "PAIRS_CONFIG",
    "PAIR_CONTROLS",
    "PAIR_TASK",
    "QUOTES_CONFIG",
    "QUOTE_CONTROLS",
    "QUOTE_TASK",
    "QUOTE_TYPES",
    "SPAN_LABELS",
    "SPEAKER",
    "AnnotationInfo",
    "ArticleImport",
    "BadTask",
    "ImportResult",
    "ImportedQuote",
    "PairImport",
    "TaskError",
    "agreement_summary",
    "article_task",
    "check_id",
    "gold_file_names",
    "gold_files",
    "labeling_config",
    "pair_records",
    "pair_task",
    "parse_export",
    "quote_id_map",
    "quote_regions",
    "quote_result",
    "quotes_from_result",
    "regions_of",
]
