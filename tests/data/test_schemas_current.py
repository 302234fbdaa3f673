"""The documented JSON Schemas (docs/schemas) are the ones the code generates."""

from __future__ import annotations

import json
from pathlib import Path

from quotecontra.records import json_schemas

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_committed_schemas_match_code() -> None:
    for name, schema in json_schemas().items():
        committed = json.loads((DOCS / f"{name}.schema.json").read_text())
        assert committed == schema, f"docs/schemas/{name}.schema.json is stale: run `make schema`"
