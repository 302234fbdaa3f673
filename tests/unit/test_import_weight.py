"""Light modules stay light: importing the quotation-mark scanner, the cue lexicon or the scale package's API loads
neither spaCy nor torch (they cost seconds), so tools and tests that only need text logic start fast."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["quotecontra.annotate.marks", "quotecontra.annotate.cues", "quotecontra.annotate"])
def test_module_imports_without_spacy_or_torch(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in ('spacy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", f"import {module} loaded {out.stdout.strip()}"


def test_lazy_names_still_resolve() -> None:
    from quotecontra import annotate

    assert callable(annotate.build_nlp) and callable(annotate.annotate_doc) and callable(annotate.annotate_articles)
    with pytest.raises(AttributeError):
        annotate.no_such_name  # noqa: B018
