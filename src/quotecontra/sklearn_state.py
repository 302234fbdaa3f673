"""Fitted scikit-learn parts as JSON + arrays, and back, without pickle.

A model dir may come from anywhere (``predict.model=DIR``), and unpickling a file runs whatever code it names, so the
baselines are saved as data: constructor parameters and the vocabulary as JSON, the fitted numbers (idf weights,
coefficients, scaler moments) as arrays in an ``.npz`` read with ``allow_pickle=False``. Each loader rebuilds the
same sklearn class with the same parameters and fitted attributes, so predictions are identical to the original's.
Only the three estimator types the baselines use are supported; anything else is refused when saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

Arrays = dict[str, np.ndarray]


class StateError(ValueError):
    """A saved estimator state that cannot be written or rebuilt (names the estimator and the problem)."""


def _plain(value: Any, where: str) -> Any:
    """A parameter value as JSON data; callables and objects are refused (they would need pickle)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    raise StateError(f"{where}: parameter value {value!r} is not plain data and cannot be saved without pickle")


def _params(est: Any, name: str) -> dict[str, Any]:
    params = dict(est.get_params(deep=False))
    if "dtype" in params:
        params["dtype"] = np.dtype(params["dtype"]).name
    return {k: _plain(v, f"{name}.{k}") for k, v in params.items()}


def _build(cls: type, params: Mapping[str, Any], name: str) -> Any:
    try:
        return cls(**params)
    except TypeError as exc:
        raise StateError(f"{name}: saved parameters do not fit this scikit-learn's {cls.__name__} ({exc})") from exc


def _array(arrays: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    if key not in arrays:
        raise StateError(f"saved arrays lack {key!r}")
    return np.asarray(arrays[key])


# ---- TfidfVectorizer ----------------------------------------------------------------------------------------------
def tfidf_state(vec: TfidfVectorizer, name: str) -> tuple[dict[str, Any], Arrays]:
    """Parameters and vocabulary (JSON) and idf weights (array) of a fitted TfidfVectorizer."""
    if not isinstance(vec, TfidfVectorizer) or not hasattr(vec, "vocabulary_"):
        raise StateError(f"{name}: expected a fitted TfidfVectorizer, got {type(vec).__name__}")
    state = {"params": _params(vec, name), "vocabulary": {str(t): int(i) for t, i in vec.vocabulary_.items()}}
    return state, {f"{name}.idf": np.asarray(vec.idf_, dtype=np.float64)}


def tfidf_from(state: Mapping[str, Any], arrays: Mapping[str, np.ndarray], name: str) -> TfidfVectorizer:
    params = dict(state["params"])
    for key in ("preprocessor", "tokenizer"):
        if params.get(key) is not None:
            raise StateError(f"{name}: {key}={params[key]!r}; only the built-in text processing is supported")
    if params.get("analyzer") not in {"word", "char", "char_wb"}:
        raise StateError(f"{name}: analyzer={params.get('analyzer')!r} is not one of word, char, char_wb")
    params["ngram_range"] = tuple(params["ngram_range"])
    params["dtype"] = np.dtype(params["dtype"]).type
    vec = _build(TfidfVectorizer, params, name)
    vocab = {str(t): int(i) for t, i in state["vocabulary"].items()}
    idf = _array(arrays, f"{name}.idf")
    if sorted(vocab.values()) != list(range(len(idf))):
        raise StateError(f"{name}: vocabulary indices do not match the {len(idf)} idf weights")
    vec.vocabulary_ = vocab
    vec.idf_ = idf  # the public setter builds the inner TfidfTransformer
    vec._tfidf.n_features_in_ = len(idf)
    return vec


# ---- LogisticRegression -------------------------------------------------------------------------------------------
def logreg_state(clf: LogisticRegression, name: str) -> tuple[dict[str, Any], Arrays]:
    if not isinstance(clf, LogisticRegression) or not hasattr(clf, "coef_"):
        raise StateError(f"{name}: expected a fitted LogisticRegression, got {type(clf).__name__}")
    state = {"params": _params(clf, name), "classes": [_plain(c, name) for c in clf.classes_]}
    arrays = {
        f"{name}.coef": np.asarray(clf.coef_),
        f"{name}.intercept": np.asarray(clf.intercept_),
        f"{name}.n_iter": np.asarray(clf.n_iter_),
    }
    return state, arrays


def logreg_from(state: Mapping[str, Any], arrays: Mapping[str, np.ndarray], name: str) -> LogisticRegression:
    clf = _build(LogisticRegression, state["params"], name)
    clf.classes_ = np.asarray(state["classes"])
    clf.coef_ = _array(arrays, f"{name}.coef")
    clf.intercept_ = _array(arrays, f"{name}.intercept")
    clf.n_iter_ = _array(arrays, f"{name}.n_iter")
    if clf.coef_.ndim != 2 or clf.intercept_.shape != (clf.coef_.shape[0],):
        raise StateError(f"{name}: coefficients {clf.coef_.shape} and intercepts {clf.intercept_.shape} disagree")
    if clf.coef_.shape[0] != (1 if len(clf.classes_) == 2 else len(clf.classes_)):
        raise StateError(f"{name}: {clf.coef_.shape[0]} coefficient rows for {len(clf.classes_)} classes")
    clf.n_features_in_ = clf.coef_.shape[1]
    return clf


# ---- StandardScaler -----------------------------------------------------------------------------------------------
def scaler_state(scaler: StandardScaler, name: str) -> tuple[dict[str, Any], Arrays]:
    if not isinstance(scaler, StandardScaler) or not hasattr(scaler, "n_features_in_"):
        raise StateError(f"{name}: expected a fitted StandardScaler, got {type(scaler).__name__}")
    arrays = {f"{name}.n_samples_seen": np.asarray(scaler.n_samples_seen_)}
    for attr in ("mean_", "var_", "scale_"):
        value = getattr(scaler, attr)
        if value is not None:
            arrays[f"{name}.{attr[:-1]}"] = np.asarray(value)
    return {"params": _params(scaler, name), "n_features": int(scaler.n_features_in_)}, arrays


def scaler_from(state: Mapping[str, Any], arrays: Mapping[str, np.ndarray], name: str) -> StandardScaler:
    scaler = _build(StandardScaler, state["params"], name)
    scaler.n_features_in_ = int(state["n_features"])
    seen = _array(arrays, f"{name}.n_samples_seen")
    scaler.n_samples_seen_ = seen.item() if seen.ndim == 0 else seen
    for attr in ("mean_", "var_", "scale_"):
        key = f"{name}.{attr[:-1]}"
        setattr(scaler, attr, np.asarray(arrays[key]) if key in arrays else None)
    return scaler
