"""Scikit-learn baselines for pair classification, shared by the pairs stage (artifact checks) and the train stage.

* ``hypothesis_only``: TF-IDF of the hypothesis alone + logistic regression. If it beats the majority rate, the
  labels leak through the hypothesis wording (Gururangan et al. 2018; Poliak et al. 2018).
* ``overlap_only``: a handful of word-overlap features between premise and hypothesis (no words themselves).
  If it wins, the label is readable from *how much* was edited rather than *what* the edit means.
* ``tfidf_pair``: TF-IDF of premise, hypothesis and the words each side adds, plus the overlap features: the
  strongest of the three and the one the train stage offers as ``model.kind=tfidf``.

Each ``fit_<name>(premises, hypotheses, labels, seed, **params)`` returns a fitted :class:`PairModel` with
``classes_``, ``predict_proba(premises, hypotheses)`` and ``predict(premises, hypotheses)``. :meth:`PairModel.save`
writes it as JSON + NPZ, never pickle (a model dir may come from anyone; see :mod:`quotecontra.sklearn_state`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from quotecontra import sklearn_state as st

STATE_JSON = "baseline.json"
STATE_ARRAYS = "baseline.npz"
STATE_FORMAT = 1
_VECTORIZERS = ("hyp_vec", "prem_vec", "diff_vec")
log = logging.getLogger(__name__)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
OVERLAP_FEATURES = (
    "hyp_covered",
    "prem_covered",
    "jaccard",
    "hyp_new_words",
    "prem_lost_words",
    "len_diff",
    "len_ratio",
    "hyp_new_0",
    "hyp_new_1",
    "hyp_new_2",
    "hyp_new_3plus",
    "prem_lost_0",
    "prem_lost_1",
    "prem_lost_2",
    "prem_lost_3plus",
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def overlap_features(premise: str, hypothesis: str) -> list[float]:
    """Word-overlap statistics of a pair: coverage both ways, Jaccard, counts of added/lost words, lengths."""
    p, h = words(premise), words(hypothesis)
    sp, sh = set(p), set(h)
    inter = len(sp & sh)
    new, lost = len(sh - sp), len(sp - sh)
    feats = [
        inter / max(len(sh), 1),
        inter / max(len(sp), 1),
        inter / max(len(sp | sh), 1),
        float(new),
        float(lost),
        float(len(h) - len(p)),
        len(h) / max(len(p), 1),
    ]
    feats += [float(min(new, 3) == k) for k in range(4)]
    feats += [float(min(lost, 3) == k) for k in range(4)]
    return feats


def _overlap_matrix(premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
    return np.asarray([overlap_features(p, h) for p, h in zip(premises, hypotheses, strict=True)], dtype=np.float64)


def _diff_text(a: str, b: str) -> str:
    """Words of ``a`` that ``b`` lacks, as a document (what an edit inserted)."""
    sb = set(words(b))
    return " ".join(w for w in words(a) if w not in sb) or "_none_"


def _tfidf(max_features: int) -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), max_features=max_features, sublinear_tf=True, min_df=1)


@dataclass
class PairModel:
    """A fitted baseline: feature extractors + logistic regression behind a (premises, hypotheses) interface."""

    kind: str
    clf: LogisticRegression
    hyp_vec: TfidfVectorizer | None = None
    prem_vec: TfidfVectorizer | None = None
    diff_vec: TfidfVectorizer | None = None
    scaler: StandardScaler | None = None

    @property
    def classes_(self) -> np.ndarray:
        return self.clf.classes_

    def features(self, premises: Sequence[str], hypotheses: Sequence[str], fit: bool = False) -> Any:
        premises, hypotheses = list(premises), list(hypotheses)
        blocks = []

        def use(vec: TfidfVectorizer, docs: list[str]) -> Any:
            return vec.fit_transform(docs) if fit else vec.transform(docs)

        if self.hyp_vec is not None:
            blocks.append(use(self.hyp_vec, hypotheses))
        if self.prem_vec is not None:
            blocks.append(use(self.prem_vec, premises))
        if self.diff_vec is not None:
            added = [
                f"{_diff_text(h, p)} || " + " ".join(f"lost_{w}" for w in _diff_text(p, h).split())
                for p, h in zip(premises, hypotheses, strict=True)
            ]
            blocks.append(use(self.diff_vec, added))
        if self.scaler is not None:
            ov = _overlap_matrix(premises, hypotheses)
            blocks.append(sparse.csr_matrix(self.scaler.fit_transform(ov) if fit else self.scaler.transform(ov)))
        return sparse.hstack(blocks).tocsr()

    def predict_proba(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        return self.clf.predict_proba(self.features(premises, hypotheses))

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        return self.clf.predict(self.features(premises, hypotheses))

    def save(self, out: Path) -> list[Path]:
        """``baseline.json`` (parameters, vocabularies, classes) and ``baseline.npz`` (idf, coefficients, scaler)."""
        import sklearn

        out.mkdir(parents=True, exist_ok=True)
        parts: dict[str, Any] = {}
        arrays: st.Arrays = {}
        for name in _VECTORIZERS:
            vec = getattr(self, name)
            if vec is not None:
                parts[name], more = st.tfidf_state(vec, name)
                arrays.update(more)
        parts["clf"], more = st.logreg_state(self.clf, "clf")
        arrays.update(more)
        if self.scaler is not None:
            parts["scaler"], more = st.scaler_state(self.scaler, "scaler")
            arrays.update(more)
        state = {"format": STATE_FORMAT, "kind": self.kind, "sklearn": sklearn.__version__, "parts": parts}
        (out / STATE_JSON).write_text(json.dumps(state, ensure_ascii=False) + "\n", encoding="utf-8")
        np.savez(out / STATE_ARRAYS, **cast("dict[str, Any]", arrays))  # mypy would match the ** to allow_pickle
        return [out / STATE_JSON, out / STATE_ARRAYS]

    @classmethod
    def load(cls, path: Path) -> PairModel:
        """Rebuild a saved model from its JSON and arrays (``allow_pickle=False``: no code runs on load)."""
        import sklearn

        files = [path / STATE_JSON, path / STATE_ARRAYS]
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise FileNotFoundError(f"{path}: no saved baseline ({', '.join(missing)} missing)")
        state = json.loads(files[0].read_text(encoding="utf-8"))
        if state.get("format") != STATE_FORMAT:
            raise st.StateError(f"{files[0]}: format {state.get('format')!r}, expected {STATE_FORMAT}")
        if state.get("sklearn") != sklearn.__version__:
            log.warning(
                "%s was saved with scikit-learn %s, loading with %s", path, state.get("sklearn"), sklearn.__version__
            )
        parts = state["parts"]
        with np.load(files[1], allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        model = cls(str(state["kind"]), st.logreg_from(parts["clf"], arrays, "clf"))
        for name in _VECTORIZERS:
            if name in parts:
                setattr(model, name, st.tfidf_from(parts[name], arrays, name))
        if "scaler" in parts:
            model.scaler = st.scaler_from(parts["scaler"], arrays, "scaler")
        return model


def _fit(model: PairModel, premises, hypotheses, labels, seed: int, C: float) -> PairModel:
    if len(set(labels)) < 2:
        raise ValueError(f"{model.kind}: need at least two labels to fit, got {sorted(set(labels))}")
    X = model.features(premises, hypotheses, fit=True)
    # newton-cg: the same multinomial optimum as lbfgs on these sparse TF-IDF problems, ~5x faster
    # (the pairs stage's adversarial filter fits these models dozens of times).
    model.clf = LogisticRegression(C=C, solver="newton-cg", max_iter=1000, random_state=seed)
    model.clf.fit(X, list(labels))
    return model


def fit_hypothesis_only(
    premises: Sequence[str],
    hypotheses: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    max_features: int = 20000,
    C: float = 1.0,
) -> PairModel:
    """TF-IDF (1-2 grams) of the hypothesis alone; the premise is ignored by construction."""
    model = PairModel("hypothesis_only", LogisticRegression(), hyp_vec=_tfidf(max_features))
    return _fit(model, premises, hypotheses, labels, seed, C)


def fit_overlap_only(
    premises: Sequence[str],
    hypotheses: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    C: float = 1.0,
    **_: Any,
) -> PairModel:
    """Word-overlap features only (coverage, Jaccard, added/lost word counts, length difference)."""
    model = PairModel("overlap_only", LogisticRegression(), scaler=StandardScaler())
    return _fit(model, premises, hypotheses, labels, seed, C)


def fit_tfidf_pair(
    premises: Sequence[str],
    hypotheses: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    max_features: int = 20000,
    C: float = 1.0,
) -> PairModel:
    """TF-IDF of premise and hypothesis, of the words each side adds, and the overlap features."""
    model = PairModel(
        "tfidf_pair",
        LogisticRegression(),
        hyp_vec=_tfidf(max_features),
        prem_vec=_tfidf(max_features),
        diff_vec=TfidfVectorizer(ngram_range=(1, 1), max_features=max_features, token_pattern=r"[^\s|]+"),
        scaler=StandardScaler(),
    )
    return _fit(model, premises, hypotheses, labels, seed, C)


FITTERS: dict[str, Callable[..., PairModel]] = {
    "hypothesis_only": fit_hypothesis_only,
    "overlap_only": fit_overlap_only,
    "tfidf_pair": fit_tfidf_pair,
}


def majority_rate(labels: Sequence[str]) -> float:
    """Share of the commonest label: the accuracy a model reaches by ignoring its input (the upper such rate)."""
    labels = list(labels)
    return max(labels.count(lab) for lab in set(labels)) / len(labels) if labels else 0.0


def accuracy(model: PairModel, premises: Sequence[str], hypotheses: Sequence[str], labels: Sequence[str]) -> float:
    pred = model.predict(premises, hypotheses)
    return float(np.mean([p == g for p, g in zip(pred, labels, strict=True)])) if len(labels) else 0.0
