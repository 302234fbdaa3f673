"""The decision grid's fast macro-F1 equals sklearn's on every input, so the chosen rule does not change."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from quotecontra.calibrate import macro_f1


def test_macro_f1_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 40, 300):
        for _ in range(50):
            y = rng.integers(0, 3, n)
            pred = rng.integers(0, 3, n) if n > 2 else np.zeros(n, dtype=int)
            want = f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0)
            assert abs(macro_f1(y, pred) - want) < 1e-12, (y, pred)
