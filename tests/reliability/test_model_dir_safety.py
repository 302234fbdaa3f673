"""Loading a model dir runs no code from it (issue 17.2): baselines are JSON + NPZ, pickles are refused.

``predict.model=DIR`` may name a dir someone else made. Each crafted dir below carries a payload that creates a
marker file when unpickled; a control shows the payload is live (joblib.load runs it), and every load through our
code must fail with a clear message or ignore the file, with the marker never appearing.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest

from quotecontra.baselines import STATE_ARRAYS, STATE_JSON
from quotecontra.models import fit_sklearn, load_classifier
from quotecontra.sklearn_state import StateError

PREMISES = [f"The {n} is {a}." for n in ("plant", "bridge", "clinic", "school") for a in ("open", "closed", "late")]
HYPS = [p.replace("open", "closed") if i % 3 == 0 else p for i, p in enumerate(PREMISES)]
LABELS = [("contradiction", "entailment", "neutral")[i % 3] for i in range(len(PREMISES))]


class Payload:
    """Unpickling this creates ``marker``: stands for any code an attacker would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _fit(kind: str):
    mcfg = {"kind": kind, "tfidf_max_features": 500, "tfidf_c": 1.0}
    return fit_sklearn(mcfg, PREMISES, HYPS, LABELS, 13)


@pytest.mark.parametrize("kind", ["tfidf", "hypothesis_only"])
def test_baseline_round_trip_without_pickle_gives_identical_predictions(tmp_path: Path, kind: str) -> None:
    clf = _fit(kind)
    clf.save(tmp_path / "model", {"seed": 13})
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert files == sorted([STATE_JSON, STATE_ARRAYS, "model.json"]), "no pickle among the saved files"
    with np.load(tmp_path / "model" / STATE_ARRAYS, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    again = load_classifier(tmp_path / "model")
    est, est2 = clf.estimator, again.estimator
    assert type(est2.clf) is type(est.clf) and type(est2.hyp_vec) is type(est.hyp_vec)
    new_p = ["The depot is open.", "The bridge is closed.", "Something else"]
    new_h = ["The depot is closed.", "The bridge is closed.", "entirely"]
    for p, h in ((PREMISES, HYPS), (new_p, new_h)):
        assert np.array_equal(clf.predict_proba(p, h), again.predict_proba(p, h))
        assert clf.predict(p, h) == again.predict(p, h)


def _crafted_baseline_dir(tmp_path: Path) -> tuple[Path, Path]:
    model_dir, marker = tmp_path / "evil", tmp_path / "code-ran"
    model_dir.mkdir()
    (model_dir / "model.json").write_text(json.dumps({"kind": "tfidf", "labels": list(LABELS[:3]), "config": {}}))
    joblib.dump(Payload(marker), model_dir / "model.joblib")
    return model_dir, marker


def test_payload_is_live_when_unpickled(tmp_path: Path) -> None:
    model_dir, marker = _crafted_baseline_dir(tmp_path)
    joblib.load(model_dir / "model.joblib")
    assert marker.exists(), "the control: loading this file with joblib does run code"


def test_crafted_pickle_model_dir_is_refused_and_runs_nothing(tmp_path: Path, make_cfg) -> None:
    from quotecontra.predict import load_model

    model_dir, marker = _crafted_baseline_dir(tmp_path)
    with pytest.raises(ValueError, match=r"refusing to load model\.joblib: a pickle file can run arbitrary code"):
        load_model(str(model_dir), make_cfg())  # what `quotecontra predict predict.model=DIR` calls
    assert not marker.exists()


def test_pickle_beside_a_saved_baseline_is_never_opened(tmp_path: Path) -> None:
    clf = _fit("tfidf")
    clf.save(tmp_path / "model")
    marker = tmp_path / "code-ran"
    joblib.dump(Payload(marker), tmp_path / "model" / "model.joblib")
    again = load_classifier(tmp_path / "model")
    assert np.array_equal(clf.predict_proba(PREMISES, HYPS), again.predict_proba(PREMISES, HYPS))
    assert not marker.exists()


def test_object_arrays_in_the_npz_are_refused(tmp_path: Path) -> None:
    clf = _fit("tfidf")
    clf.save(tmp_path / "model")
    marker = tmp_path / "code-ran"
    with np.load(tmp_path / "model" / STATE_ARRAYS) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["clf.coef"] = np.array([Payload(marker)], dtype=object)
    np.savez(tmp_path / "model" / STATE_ARRAYS, **arrays)
    with pytest.raises(ValueError, match="allow_pickle=False"):
        load_classifier(tmp_path / "model")
    assert not marker.exists()


def test_crafted_state_naming_a_tokenizer_is_refused(tmp_path: Path) -> None:
    clf = _fit("tfidf")
    clf.save(tmp_path / "model")
    state_file = tmp_path / "model" / STATE_JSON
    state = json.loads(state_file.read_text())
    state["parts"]["hyp_vec"]["params"]["tokenizer"] = "os.system"
    state_file.write_text(json.dumps(state))
    with pytest.raises(StateError, match=r"hyp_vec: tokenizer='os\.system'"):
        load_classifier(tmp_path / "model")


def test_transformer_dir_with_pickled_weights_is_refused(tmp_path: Path) -> None:
    """A transformer model dir loads safetensors only: a pytorch_model.bin (a pickle) is not opened."""
    from transformers import BertConfig

    model_dir, marker = tmp_path / "evil-bert", tmp_path / "code-ran"
    BertConfig(
        vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8, num_labels=3
    ).save_pretrained(model_dir)
    (model_dir / "model.json").write_text(json.dumps({"kind": "tiny_bert", "labels": list(LABELS[:3])}))
    import pickle

    (model_dir / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises((OSError, ValueError), match="safetensors"):
        load_classifier(model_dir)
    assert not marker.exists()


def test_transformer_dir_asking_for_remote_code_is_refused(tmp_path: Path) -> None:
    """A config.json whose auto_map points at a module in the dir: that module is never imported."""
    model_dir, marker = tmp_path / "evil-code", tmp_path / "code-ran"
    model_dir.mkdir()
    (model_dir / "evil.py").write_text(f"from pathlib import Path\nPath({str(marker)!r}).touch()\n")
    auto = {"AutoConfig": "evil.EvilConfig", "AutoModelForSequenceClassification": "evil.EvilModel"}
    (model_dir / "config.json").write_text(json.dumps({"model_type": "evil", "auto_map": auto}))
    (model_dir / "model.json").write_text(json.dumps({"kind": "transformer", "labels": list(LABELS[:3])}))
    with pytest.raises((OSError, ValueError), match=r"trust_remote_code|custom code"):
        load_classifier(model_dir)
    assert not marker.exists()
