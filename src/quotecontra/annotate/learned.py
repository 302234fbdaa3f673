"""The learned extractor: a token-classification encoder tags cue, source and content; the decoder makes records.

An article is tokenised once (fast tokenizer, character offsets) and cut into windows of ``max_length`` tokens that
overlap by ``stride`` tokens; each token's label probabilities are the mean over the windows that hold it, so a
sentence at a window's edge is read with context on both sides. Windows of many articles share batches. The
records then map onto :class:`~quotecontra.records.Quote`: content pieces as spans, the source span's name made
canonical by the rule engine's name code (titles and possessives off, a surname joined to the article's fullest
name for it, a pronoun to the nearest preceding named source), the type from the quotation marks around the
content. No spaCy: the hybrid extractor (:mod:`quotecontra.annotate.hybrid`) adds the parse-based repairs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quotecontra.annotate.marks import ALL_MARKS, span_text
from quotecontra.annotate.speakers import FIRST_SECOND, PERSON_PRONOUNS, PLURAL_PRONOUNS, clean_name, strip_titles
from quotecontra.annotate.tags import LABELS, Linking, Record, Span, decode, tag_spans
from quotecontra.records import Article, Quote, quote_id

log = logging.getLogger(__name__)

META_FILE = "attribution.json"
VERSION = "1"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PRONOUNS = frozenset(PERSON_PRONOUNS) | PLURAL_PRONOUNS | {"it", "its"}


@dataclass
class Window:
    """Token ids of one window and where its tokens sit in the article's token list."""

    doc: int
    start: int
    ids: list[int]


def windows_of(n_tokens: int, max_tokens: int, stride: int) -> list[tuple[int, int]]:
    """[start, end) token ranges of at most ``max_tokens`` each, consecutive ones overlapping by ``stride``."""
    if max_tokens <= 0:
        raise ValueError(f"window size must be positive, got {max_tokens}")
    if not 0 <= stride < max_tokens:
        raise ValueError(f"stride {stride} must be in [0, {max_tokens})")
    if n_tokens <= max_tokens:
        return [(0, n_tokens)]
    out, start = [], 0
    while True:
        end = min(start + max_tokens, n_tokens)
        out.append((start, end))
        if end == n_tokens:
            return out
        start = end - stride


class Tagger:
    """A token-classification model and its fast tokenizer, with the windowing and decoding settings."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 256, stride: int = 64, batch_size: int = 16):
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("the attribution tagger needs a fast tokenizer (character offsets)")
        names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
        if names != list(LABELS):
            raise ValueError(f"model labels {names} are not the attribution labels {list(LABELS)}")
        self.model, self.tokenizer = model, tokenizer
        self.max_length, self.stride, self.batch_size = max_length, stride, batch_size
        self.link = Linking()

    # ---- persistence ----------------------------------------------------------------------------------------
    def save(self, out: Path, meta: dict[str, Any] | None = None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.tokenizer.model_max_length = self.max_length
        self.model.save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        info = {"version": VERSION, "labels": list(LABELS), "max_length": self.max_length, "stride": self.stride}
        (out / META_FILE).write_text(json.dumps({**info, **(meta or {})}, indent=2, default=str) + "\n", "utf-8")

    @classmethod
    def load(cls, path: str | Path, batch_size: int = 16) -> Tagger:
        """A saved tagger dir (ours, with attribution.json), or a registered MLflow model (``models:/...``)."""
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        from quotecontra.models import resolve_name_or_path

        local = Path(resolve_name_or_path(str(path))) if str(path).startswith("models:/") else Path(path)
        if not (local / "config.json").exists():
            raise FileNotFoundError(
                f"no attribution model at {path}: train one with `quotecontra train-attribution` "
                "or set annotate.attribution_model to a model dir or models:/quotecontra-attribution/latest"
            )
        meta_file = local / META_FILE
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        tokenizer = AutoTokenizer.from_pretrained(local)
        model = AutoModelForTokenClassification.from_pretrained(local)
        max_length = int(meta.get("max_length", min(int(tokenizer.model_max_length), 512)))
        return cls(model, tokenizer, max_length, int(meta.get("stride", max_length // 4)), batch_size)

    # ---- inference ------------------------------------------------------------------------------------------
    def encode(self, text: str) -> tuple[list[int], list[Span]]:
        """The article's token ids and character offsets, without special tokens."""
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]

    def windows(self, doc: int, ids: Sequence[int]) -> list[Window]:
        body = self.max_length - 2  # room for [CLS] and [SEP]
        stride = min(self.stride, body - 1)
        return [Window(doc, s, list(ids[s:e])) for s, e in windows_of(len(ids), body, stride)]

    def probabilities(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[Span]]]:
        """Per text: (tokens x labels) probabilities, averaged over overlapping windows, and token offsets."""
        import torch

        encoded = [self.encode(t) for t in texts]
        sums = [np.zeros((len(ids), len(LABELS)), dtype=np.float32) for ids, _ in encoded]
        counts = [np.zeros(len(ids), dtype=np.float32) for ids, _ in encoded]
        wins = [w for d, (ids, _) in enumerate(encoded) for w in self.windows(d, ids) if w.ids]
        wins.sort(key=lambda w: len(w.ids))  # similar lengths share a batch: little padding
        cls_id, sep_id, pad_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.pad_token_id
        device = next(self.model.parameters()).device
        self.model.eval()
        with torch.inference_mode():
            for b in range(0, len(wins), self.batch_size):
                batch = wins[b : b + self.batch_size]
                width = max(len(w.ids) for w in batch) + 2
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for i, w in enumerate(batch):
                    row = [cls_id, *w.ids, sep_id]
                    ids[i, : len(row)] = torch.tensor(row)
                    mask[i, : len(row)] = 1
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
                probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                for i, w in enumerate(batch):
                    n = len(w.ids)
                    sums[w.doc][w.start : w.start + n] += probs[i, 1 : n + 1]
                    counts[w.doc][w.start : w.start + n] += 1
        out = []
        for (_, offsets), s, c in zip(encoded, sums, counts, strict=True):
            out.append((s / np.maximum(c, 1)[:, None], offsets))
        return out

    def records(self, texts: Sequence[str]) -> list[list[Record]]:
        """Decoded attribution records of each text."""
        out = []
        for text, (probs, offsets) in zip(texts, self.probabilities(texts), strict=True):
            label_ids = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
            best = probs.max(axis=1) if len(probs) else np.zeros(0)
            out.append(decode(text, tag_spans(offsets, label_ids.tolist(), best.tolist()), self.link))
        return out


# ---- records -> Quote --------------------------------------------------------------------------------------------
def quote_type(text: str, spans: Sequence[Span]) -> str:
    """direct: every piece sits inside quotation marks; mixed: some marks inside or around; else indirect."""
    inside = [_enclosed(text, s, e) for s, e in spans]
    if all(inside):
        return "direct"
    if any(inside) or any(ch in ALL_MARKS - {"'", "’"} for s, e in spans for ch in text[s:e]):
        return "mixed"
    return "indirect"


def _enclosed(text: str, s: int, e: int) -> bool:
    """A piece wrapped in double quotation marks (its own or the ones just outside it)."""
    piece = text[s:e].strip()
    opens = piece[:1] in '“"«' or text[max(0, s - 2) : s].strip()[-1:] in ("“", '"', "«")
    closes = piece.rstrip(".,;:!?")[-1:] in '”"»' or text[e : e + 2].strip()[:1] in ("”", '"', "»")
    return bool(piece) and opens and closes


class Names:
    """Canonical speaker names from the article's source spans: the rule engine's cleaning, surnames joined."""

    def __init__(self) -> None:
        self.by_surname: dict[str, str] = {}
        self.last_named: str | None = None

    def canonical(self, raw: str) -> tuple[str | None, str]:
        """(name, how): how is name, pronoun, description or none."""
        words = clean_name(raw).split()
        if not words:
            return None, "none"
        low = " ".join(words).lower()
        if low in FIRST_SECOND:
            return None, "none"
        if low in _PRONOUNS:
            return self.last_named, ("pronoun" if self.last_named else "none")
        if not any(w[:1].isupper() for w in words):
            return " ".join(words), "description"
        words, _ = strip_titles(words)
        name = " ".join(words)
        if len(words) == 1 and words[0].lower() in self.by_surname:
            name = self.by_surname[words[0].lower()]
        elif len(words) > 1 and words[0][:1].isupper():
            self.by_surname.setdefault(words[-1].lower(), name)
        self.last_named = name
        return name, "name"


def to_quotes(article: Article, records: Sequence[Record], rule_prefix: str = "learned") -> list[Quote]:
    """Quote records of one article from decoded attributions (content pieces trimmed to words)."""
    text = article.text
    names = Names()
    out: list[Quote] = []
    seen: set[tuple[Span, ...]] = set()
    for r in sorted(records, key=lambda r: r.content[0]):
        spans = [t for s, e in r.content if (t := _trim(text, s, e)) is not None]
        if not spans or tuple(spans) in seen:
            continue
        seen.add(tuple(spans))
        speaker, how = (None, "none")
        speaker_span = None
        if r.source:
            speaker_span = (r.source[0][0], r.source[-1][1])
            speaker, how = names.canonical(span_text(text, r.source))
        cue_span = (r.cue[0][0], r.cue[-1][1])
        out.append(
            Quote(
                id=quote_id(article.id, spans),
                article_id=article.id,
                text=span_text(text, spans),
                type=quote_type(text, spans),  # type: ignore[arg-type]
                speaker=speaker,
                cue=text[cue_span[0] : cue_span[1]],
                spans=spans,
                speaker_span=speaker_span,
                cue_span=cue_span,
                rule=f"{rule_prefix}:{how}",
                confidence=round(max(0.0, min(1.0, r.confidence)), 3),
            )
        )
    return out


def _trim(text: str, s: int, e: int) -> Span | None:
    """A piece shrunk past whitespace at its edges (spans must slice to their words)."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if s < e else None


def annotate_learned(
    articles: Iterable[Article],
    tagger: Tagger | Callable[[], Tagger],
    known: Callable[[Article], list[Quote] | None] | None = None,
    errors: list[tuple[str, str]] | None = None,
    batch_articles: int = 8,
) -> Iterator[tuple[Article, list[Quote]]]:
    """Stream (article, records) in input order; the tagger loads when the first uncached article comes.

    Articles are tagged ``batch_articles`` at a time (their windows share batches). A batch that fails is retried
    article by article, so only the article that breaks the model is lost (listed in ``errors``).
    """
    holder: list[Tagger] = [tagger] if isinstance(tagger, Tagger) else []

    def model() -> Tagger:
        if not holder:
            holder.append(tagger())  # type: ignore[operator]
        return holder[0]

    def tag(batch: list[Article]) -> Iterator[tuple[Article, list[Quote]]]:
        m = model()  # a missing model fails the run, not each article
        try:
            found = m.records([a.text for a in batch])
        except Exception as exc:
            if len(batch) > 1:
                for art in batch:
                    yield from tag([art])
                return
            log.exception("learned annotate failed on article %s", batch[0].id)
            if errors is not None:
                errors.append((batch[0].id, f"annotate error: {type(exc).__name__}: {exc}"))
            yield batch[0], []
            return
        for art, recs in zip(batch, found, strict=True):
            yield art, to_quotes(art, recs)

    pending: list[Article] = []
    for art in articles:
        cached = known(art) if known is not None else None
        if cached is not None:
            if pending:  # input order: what waits is emitted first
                yield from tag(pending)
                pending = []
            yield art, cached
            continue
        pending.append(art)
        if len(pending) >= batch_articles:
            yield from tag(pending)
            pending = []
    if pending:
        yield from tag(pending)
