"""Quote evaluation: predicted quote records against gold files (data/gold format) or PolNeAR.

Gold files carry no spans, only the quote text, so quotes are matched by their words. Both texts are normalised
(curly quotes and apostrophes made straight, whitespace collapsed), lowercased and split into word tokens with
punctuation dropped. The match score of a prediction P against a gold quote G is the *gold coverage*
``|P ∩ G| / |G|`` over token multisets (the GenderGapTracker convention: a prediction covering at least the
threshold share of the gold quote counts); the Jaccard variant ``|P ∩ G| / |P ∪ G|`` and exact match (same token
sequence) are reported beside it. Predictions and gold quotes are paired one-to-one by the Hungarian algorithm
(maximum total score among pairs at or above the threshold). A prediction paired with, or matching, a gold quote
marked ``required: false`` is neither a true nor a false positive.

Speaker, cue, target and type accuracy are computed over the true positives of the coverage matching.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig
from scipy.optimize import linear_sum_assignment

from quotecontra.readers import ReadReport, Skip
from quotecontra.records import Quote

log = logging.getLogger(__name__)

QUOTE_TYPES = ("direct", "mixed", "indirect")
DEFAULT_THRESHOLD = 0.5
OVERLAP_DEFINITION = (
    "coverage = |pred ∩ gold| / |gold| over lowercased word-token multisets (punctuation dropped, quotes and "
    "apostrophes normalised); one-to-one Hungarian matching of pairs with coverage >= threshold; jaccard = "
    "|pred ∩ gold| / |pred ∪ gold| with the same threshold; exact = identical token sequence"
)

# ---------------------------------------------------------------------------------------------------------------
# Normalisation


_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


def normalize_text(text: str) -> str:
    """Straight quotes and apostrophes, plain dashes, single spaces: the seed gold types ' where articles have ’."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    return re.sub(r"\s+", " ", text).strip()


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens, punctuation dropped (an inner apostrophe stays: don't, Kyiv's)."""
    return _TOKEN.findall(normalize_text(text).lower())


def coverage(pred: Sequence[str], gold: Sequence[str]) -> float:
    """Share of the gold tokens that the prediction contains (multiset intersection)."""
    if not gold:
        return 0.0
    return sum((Counter(pred) & Counter(gold)).values()) / len(gold)


def jaccard(pred: Sequence[str], gold: Sequence[str]) -> float:
    cp, cg = Counter(pred), Counter(gold)
    union = sum((cp | cg).values())
    return sum((cp & cg).values()) / union if union else 0.0


def exact(pred: Sequence[str], gold: Sequence[str]) -> float:
    return 1.0 if list(pred) == list(gold) and gold else 0.0


def normalize_name(name: str) -> str:
    """Lowercase, straight quotes, no leading determiner or trailing punctuation: 'The Kremlin.' -> 'kremlin'."""
    s = normalize_text(name).lower().strip(" .,;:\"'")
    s = re.sub(r"'s$", "", s)
    return re.sub(r"^(the|a|an)\s+", "", s)


_IRREGULAR = {
    "said": "say",
    "says": "say",
    "told": "tell",
    "wrote": "write",
    "written": "write",
    "thought": "think",
    "spoke": "speak",
    "spoken": "speak",
    "made": "make",
    "gave": "give",
    "given": "give",
    "knew": "know",
    "known": "know",
    "felt": "feel",
    "held": "hold",
    "meant": "mean",
    "took": "take",
    "taken": "take",
    "saw": "see",
    "seen": "see",
    "heard": "hear",
    "began": "begin",
    "forgot": "forget",
    "sought": "seek",
    "taught": "teach",
    "went": "go",
    "gone": "go",
}


def stem(word: str) -> str:
    """Crude lemma: irregular verbs by table, then -ing/-ed/-es/-s stripped, final e and doubled consonant undone.

    Good enough to equate said/says/say, insisted/insisting/insists, argued/argues/arguing, admitted/admits.
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def speaker_matches(pred: str | None, aliases: Sequence[str] | None) -> bool:
    """Equal to an alias after normalisation; a null gold speaker wants a null prediction.

    A prediction ending in the canonical name's surname also counts when that surname-only alias is listed
    ('President Donald Trump', 'Mr. Trump' for ["Donald Trump", "Trump"]).
    """
    if not aliases:
        return pred is None or not pred.strip()
    if pred is None or not pred.strip():
        return False
    p = normalize_name(pred)
    names = [normalize_name(a) for a in aliases]
    if p in names:
        return True
    surname = names[0].split()[-1] if names[0] else ""
    return bool(surname) and surname in names and p.split()[-1] == surname


def cue_matches(pred: str | None, gold: str | None) -> bool:
    """Same cue word(s), or the same crude lemma word by word (claimed ~ claims, told ~ tell)."""
    if gold is None:
        return pred is None
    if pred is None:
        return False
    p, g = normalize_text(pred).lower(), normalize_text(gold).lower()
    if p == g:
        return True
    pw, gw = tokenize(p), tokenize(g)
    return bool(gw) and [stem(w) for w in pw] == [stem(w) for w in gw]


def target_matches(pred: str | None, aliases: Sequence[str] | None) -> bool:
    """Equal to an alias, or one contains the other as whole words ('European troops' ~ 'troops')."""
    if not aliases:
        return pred is None
    if pred is None or not pred.strip():
        return False
    p = " " + " ".join(tokenize(normalize_name(pred))) + " "
    for alias in aliases:
        a = " " + " ".join(tokenize(normalize_name(alias))) + " "
        if a.strip() and p.strip() and (a in p or p in a):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# Gold


@dataclass(frozen=True)
class GoldQuote:
    id: str
    text: str
    type: str
    speaker: tuple[str, ...] | None
    cue: str | None
    target: tuple[str, ...]
    required: bool = True
    pieces: tuple[str, ...] = ()

    @property
    def tokens(self) -> list[str]:
        """The pieces of a split quote joined, else the text."""
        return tokenize(" ".join(self.pieces) if self.pieces else self.text)


@dataclass
class GoldArticle:
    """One gold file with its article text resolved."""

    path: Path
    article_id: str
    article_path: Path
    article_text: str
    group: str  # dev | heldout | seed
    quotes: list[GoldQuote]
    pairs: list[dict[str, Any]] = field(default_factory=list)


def _article_candidates(gold_path: Path, article: str, articles_dir: Path | None) -> list[Path]:
    out = [articles_dir / article] if articles_dir else []
    out += [gold_path.parent / article, gold_path.parent.parent / "samples" / article]
    return out


def parse_gold(obj: dict[str, Any], path: Path, articles_dir: Path | None = None) -> GoldArticle:
    """One gold JSON object -> GoldArticle; raises ValueError naming the file on a malformed entry."""
    try:
        article = obj["article"]
        quotes = [
            GoldQuote(
                id=str(q["id"]),
                text=q["text"],
                type=q["type"],
                speaker=tuple(q["speaker"]) if q.get("speaker") else None,
                cue=q.get("cue"),
                target=tuple(q.get("target") or ()),
                required=bool(q.get("required", True)),
                pieces=tuple(q.get("pieces") or ()),
            )
            for q in obj["quotes"]
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed gold file ({exc!r})") from exc
    bad = [q.id for q in quotes if q.type not in QUOTE_TYPES]
    if bad:
        raise ValueError(f"{path}: unknown quote type in {bad}")
    art_path = next((p for p in _article_candidates(path, article, articles_dir) if p.exists()), None)
    if art_path is None:
        raise FileNotFoundError(f"{path}: article {article!r} not found beside it or in ../samples/")
    group = obj.get("split") or "seed"
    return GoldArticle(
        path=path,
        article_id=Path(article).stem,
        article_path=art_path,
        article_text=art_path.read_text(encoding="utf-8"),
        group=str(group),
        quotes=quotes,
        pairs=list(obj.get("pairs", [])),
    )


def load_gold(
    path: str | Path | Iterable[str | Path], articles_dir: Path | None = None, report: ReadReport | None = None
) -> list[GoldArticle]:
    """Gold files from a file, a folder of *.json, or several of those; with ``report``, bad files are skipped."""
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"gold={p} does not exist")
    out: list[GoldArticle] = []
    seen: set[str] = set()
    for f in files:
        try:
            g = parse_gold(json.loads(f.read_text(encoding="utf-8")), f, articles_dir)
            if g.article_id in seen:
                raise ValueError(f"{f}: a second gold file for article {g.article_id}")
        except (ValueError, FileNotFoundError) as exc:
            if report is None:
                raise
            report.add_skip(Skip(str(f), f"bad gold: {exc}"))
            continue
        seen.add(g.article_id)
        if report is not None:
            report.read += 1
        out.append(g)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Matching and scoring


@dataclass
class Matching:
    pairs: list[tuple[int, int]]  # (pred index, gold index) of true positives (required gold)
    ignored: list[int]  # predictions paired with or matching an optional gold quote
    false_pos: list[int]
    false_neg: list[int]  # required gold quotes left unmatched


def match(scores: np.ndarray, required: Sequence[bool], threshold: float) -> Matching:
    """One-to-one assignment maximising the total score among pairs at or above the threshold.

    ``scores`` is (n_pred, n_gold). A tiny bonus makes a required gold quote win a tie against an optional one.
    """
    n_pred, n_gold = scores.shape
    ok = scores >= threshold - 1e-12
    weights = np.where(ok, scores + 1e-6 * np.asarray(required, dtype=float)[None, :], 0.0) if n_gold else scores
    assigned: list[tuple[int, int]] = []
    if n_pred and n_gold:
        rows, cols = linear_sum_assignment(weights, maximize=True)
        assigned = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if ok[r, c]]
    pairs = [(p, g) for p, g in assigned if required[g]]
    ignored = [p for p, g in assigned if not required[g]]
    used_pred = {p for p, _ in assigned}
    optional = [g for g in range(n_gold) if not required[g]]
    false_pos = []
    for p in range(n_pred):
        if p in used_pred:
            continue
        if optional and any(ok[p, g] for g in optional):
            ignored.append(p)
        else:
            false_pos.append(p)
    matched_gold = {g for _, g in assigned}
    false_neg = [g for g in range(n_gold) if required[g] and g not in matched_gold]
    return Matching(pairs=pairs, ignored=sorted(ignored), false_pos=false_pos, false_neg=false_neg)


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


@dataclass
class Tally:
    """Counts that add up across articles; :meth:`summary` turns them into rates."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)

    def summary(self) -> dict[str, Any]:
        c = self.counts
        out: dict[str, Any] = {"n_pred": c["n_pred"], "n_gold": c["n_gold"], "n_gold_optional": c["n_gold_optional"]}
        for m in ("quote", "quote_jaccard", "quote_exact"):
            out[m] = prf(c[f"{m}.tp"], c[f"{m}.fp"], c[f"{m}.fn"]) | {"ignored": c[f"{m}.ignored"]}
        for attr in ("speaker", "cue", "target", "type"):
            n = c["quote.tp"]
            out[attr] = {"acc": c[f"{attr}.correct"] / n if n else 0.0, "correct": c[f"{attr}.correct"], "n": n}
        per_type = {}
        for t in QUOTE_TYPES:
            tp_p, fp = c[f"type.{t}.tp_pred"], c[f"type.{t}.fp"]
            tp_g, fn = c[f"type.{t}.tp_gold"], c[f"type.{t}.fn"]
            p = tp_p / (tp_p + fp) if tp_p + fp else 0.0
            r = tp_g / (tp_g + fn) if tp_g + fn else 0.0
            per_type[t] = {
                "p": p,
                "r": r,
                "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "n_pred": tp_p + fp,
                "n_gold": tp_g + fn,
            }
        out["per_type"] = per_type
        return out


def score_article(preds: Sequence[Quote], gold: GoldArticle, threshold: float = DEFAULT_THRESHOLD) -> Tally:
    """Tally of one article's predictions against its gold quotes."""
    tally = Tally()
    c = tally.counts
    required = [q.required for q in gold.quotes]
    c["n_pred"] += len(preds)
    c["n_gold"] += sum(required)
    c["n_gold_optional"] += len(required) - sum(required)
    p_tok = [tokenize(p.text) for p in preds]
    g_tok = [q.tokens for q in gold.quotes]
    for name, fn, thr in (
        ("quote", coverage, threshold),
        ("quote_jaccard", jaccard, threshold),
        ("quote_exact", exact, 1.0),
    ):
        scores = np.array([[fn(p, g) for g in g_tok] for p in p_tok], dtype=float).reshape(len(preds), len(g_tok))
        m = match(scores, required, thr)
        c[f"{name}.tp"] += len(m.pairs)
        c[f"{name}.fp"] += len(m.false_pos)
        c[f"{name}.fn"] += len(m.false_neg)
        c[f"{name}.ignored"] += len(m.ignored)
        if name != "quote":
            continue
        for pi, gi in m.pairs:
            p, g = preds[pi], gold.quotes[gi]
            c["speaker.correct"] += speaker_matches(p.speaker, g.speaker)
            c["cue.correct"] += cue_matches(p.cue, g.cue)
            c["target.correct"] += target_matches(p.target, g.target)
            c["type.correct"] += p.type == g.type
            c[f"type.{p.type}.tp_pred"] += 1
            c[f"type.{g.type}.tp_gold"] += 1
        for pi in m.false_pos:
            c[f"type.{preds[pi].type}.fp"] += 1
        for gi in m.false_neg:
            c[f"type.{gold.quotes[gi].type}.fn"] += 1
    return tally


def score_quotes(
    pred: Iterable[Quote], gold: Sequence[GoldArticle], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """Scores over all gold articles, per group (dev / heldout / seed) and per gold file.

    Predictions for articles without a gold file are not scored (``unscored_predictions`` counts them).
    """
    by_article: dict[str, list[Quote]] = {}
    for q in pred:
        by_article.setdefault(q.article_id, []).append(q)
    total, groups, files = Tally(), {}, {}
    for g in gold:
        t = score_article(by_article.get(g.article_id, []), g, threshold)
        total.add(t)
        groups.setdefault(g.group, Tally()).add(t)
        files[g.path.name] = {"article_id": g.article_id, "group": g.group, **t.summary()}
    gold_ids = {g.article_id for g in gold}
    return {
        "threshold": threshold,
        "matching": OVERLAP_DEFINITION,
        "n_articles": len(gold),
        "unscored_predictions": sum(len(v) for k, v in by_article.items() if k not in gold_ids),
        "all": total.summary(),
        "groups": {k: groups[k].summary() for k in sorted(groups)},
        "files": files,
    }


_HEADLINE = ("quote.p", "quote.r", "quote.f1", "quote_exact.f1", "quote_jaccard.f1")


def flat_metrics(summary: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """MLflow keys of one summary: quote.f1, quote_exact.f1, speaker.acc, per_type.direct.f1, ..."""
    out: dict[str, float] = {}
    for m in ("quote", "quote_jaccard", "quote_exact"):
        for k in ("p", "r", "f1"):
            out[f"{prefix}{m}.{k}"] = summary[m][k]
    for attr in ("speaker", "cue", "target", "type"):
        out[f"{prefix}{attr}.acc"] = summary[attr]["acc"]
    for t, s in summary["per_type"].items():
        for k in ("p", "r", "f1"):
            out[f"{prefix}per_type.{t}.{k}"] = s[k]
    out[f"{prefix}n_pred"] = summary["n_pred"]
    out[f"{prefix}n_gold"] = summary["n_gold"]
    return out


def metrics_of(result: dict[str, Any]) -> dict[str, float]:
    """All-article metrics unprefixed, each group's prefixed ('heldout.quote.f1')."""
    out = flat_metrics(result["all"])
    for group, summary in result["groups"].items():
        out.update(flat_metrics(summary, prefix=f"{group}."))
    return out


# ---------------------------------------------------------------------------------------------------------------
# PolNeAR: span-level scores of content, source and cue


_WORD_SPAN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
POLNEAR_DEFINITION = (
    "spans are compared as sets of word tokens (regex word runs; punctuation and quotation marks ignored). "
    "exact: a predicted component (content spans of one quote, its speaker_span, its cue_span) is a true positive "
    "when a gold attribution's component has the same token set (one-to-one). overlap (Citron): precision = "
    "predicted tokens inside any gold component / predicted tokens, recall = gold tokens inside any predicted "
    "component / gold tokens"
)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of the word tokens of a text."""
    return [m.span() for m in _WORD_SPAN.finditer(text)]


def tokens_in(spans: Iterable[tuple[int, int]], words: Sequence[tuple[int, int]]) -> frozenset[int]:
    """Indices of the words that overlap any of the character spans."""
    import bisect

    starts = [s for s, _ in words]
    out: set[int] = set()
    for s, e in spans:
        i = max(bisect.bisect_right(starts, s) - 1, 0)
        while i < len(words) and words[i][0] < e:
            if words[i][1] > s:
                out.add(i)
            i += 1
    return frozenset(out)


def quote_components(q: Quote) -> dict[str, list[tuple[int, int]]]:
    """Our record mapped to PolNeAR's roles: content = spans, source = speaker_span, cue = cue_span."""
    return {
        "content": [tuple(s) for s in q.spans],
        "source": [tuple(q.speaker_span)] if q.speaker_span else [],
        "cue": [tuple(q.cue_span)] if q.cue_span else [],
    }


def score_polnear(pred: Iterable[Quote], docs: Sequence[Any]) -> dict[str, Any]:
    """Exact and overlap P/R/F1 of content, source and cue over PolNeAR docs (``polnear.PolnearDoc``)."""
    from quotecontra.polnear import ROLES

    by_article: dict[str, list[Quote]] = {}
    for q in pred:
        by_article.setdefault(q.article_id, []).append(q)
    c: Counter[str] = Counter()
    for doc in docs:
        words = word_spans(doc.article.text)
        preds = by_article.get(doc.article.id, [])
        c["n_pred"] += len(preds)
        c["n_gold"] += len(doc.attributions)
        for role in ROLES:
            gold_sets = [tokens_in(a.role(role), words) for a in doc.attributions]
            pred_sets = [tokens_in(quote_components(q)[role], words) for q in preds]
            gold_sets = [s for s in gold_sets if s]
            pred_sets = [s for s in pred_sets if s]
            tp = sum((Counter(pred_sets) & Counter(gold_sets)).values())
            c[f"{role}.exact.tp"] += tp
            c[f"{role}.exact.fp"] += len(pred_sets) - tp
            c[f"{role}.exact.fn"] += len(gold_sets) - tp
            gold_union = frozenset().union(*gold_sets)
            pred_union = frozenset().union(*pred_sets)
            c[f"{role}.overlap.pred_hit"] += sum(len(s & gold_union) for s in pred_sets)
            c[f"{role}.overlap.pred_len"] += sum(len(s) for s in pred_sets)
            c[f"{role}.overlap.gold_hit"] += sum(len(s & pred_union) for s in gold_sets)
            c[f"{role}.overlap.gold_len"] += sum(len(s) for s in gold_sets)
    out: dict[str, Any] = {
        "definition": POLNEAR_DEFINITION,
        "n_articles": len(docs),
        "n_pred": c["n_pred"],
        "n_gold": c["n_gold"],
    }
    for role in ROLES:
        ex = prf(c[f"{role}.exact.tp"], c[f"{role}.exact.fp"], c[f"{role}.exact.fn"])
        ph, pl = c[f"{role}.overlap.pred_hit"], c[f"{role}.overlap.pred_len"]
        gh, gl = c[f"{role}.overlap.gold_hit"], c[f"{role}.overlap.gold_len"]
        p = ph / pl if pl else 0.0
        r = gh / gl if gl else 0.0
        ov = {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "pred_tokens": pl, "gold_tokens": gl}
        out[role] = {"exact": ex, "overlap": ov}
    return out


def polnear_metrics(result: dict[str, Any], prefix: str = "polnear.") -> dict[str, float]:
    """polnear.content.exact.f1, polnear.source.overlap.p, ..."""
    from quotecontra.polnear import ROLES

    return {
        f"{prefix}{role}.{kind}.{k}": result[role][kind][k]
        for role in ROLES
        for kind in ("exact", "overlap")
        for k in ("p", "r", "f1")
    }


def polnear_gold_quotes(doc: Any) -> list[Quote]:
    """The gold attributions as Quote records: scoring them must give 1.0 (used by tests and as a sanity check)."""
    from quotecontra.records import quote_id

    out = []
    for a in doc.attributions:
        spans = _merge(a.content)
        out.append(
            Quote(
                id=quote_id(doc.article.id, spans),
                article_id=doc.article.id,
                text=" ".join(doc.article.text[s:e] for s, e in spans),
                type="indirect",
                speaker=" ".join(doc.article.text[s:e] for s, e in a.source) or None,
                cue=" ".join(doc.article.text[s:e] for s, e in a.cue),
                spans=spans,
                speaker_span=(a.source[0][0], a.source[-1][1]) if a.source else None,
                cue_span=(a.cue[0][0], a.cue[-1][1]),
                annotator=f"polnear:{doc.annotator}",
            )
        )
    return out


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


# ---------------------------------------------------------------------------------------------------------------
# Stage (I/O at the edge)


def annotate_options(cfg: DictConfig) -> Any:
    """The annotate engine's options from the config (the one place that knows how they are built)."""
    from quotecontra.annotate.extract import AnnotateOptions

    return AnnotateOptions.from_config(cfg.annotate)


def _annotate(articles: list[Any], cfg: DictConfig) -> list[Quote]:
    """Run the annotate engine on articles read here (PolNeAR, or gold articles the run did not cover)."""
    from tqdm import tqdm

    from quotecontra.annotate.extract import build_nlp
    from quotecontra.annotate.extractors import extractor_of

    options = annotate_options(cfg)
    errors: list[tuple[str, str]] = []
    out: list[Quote] = []
    extractor = extractor_of(cfg)  # annotate.extractor: rules | learned | hybrid
    stream = extractor.stream(articles, lambda: build_nlp(options.spacy_model), options, errors=errors)
    for _article, records in tqdm(stream, total=len(articles), desc="annotate", unit="article"):
        out.extend(records)
    for article_id, reason in errors:
        log.warning("annotate failed on %s: %s (scored with no predictions)", article_id, reason)
    return out


def _gold_sources(cfg: DictConfig) -> list[Path]:
    if cfg.gold:
        return [Path(cfg.gold)]
    return [p for p in (Path("data/gold"), Path(cfg.data.shared_dir) / "seed" / "gold.json") if p.exists()]


def reader_options(cfg: DictConfig) -> Any:
    from quotecontra.readers import ReaderOptions

    d = cfg.data
    return ReaderOptions(
        format="auto",
        max_bytes=d.max_bytes,
        min_words=d.min_words,
        require_english=d.require_english,
        boilerplate=tuple(d.boilerplate),
    )


def _run_gold(cfg: DictConfig, tracker: Any) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    from quotecontra.readers import iter_articles
    from quotecontra.records import read_jsonl
    from quotecontra.runpaths import RunPaths

    paths = RunPaths.of(cfg.run_dir)
    sources = _gold_sources(cfg)
    if not sources:
        raise FileNotFoundError("no gold files: pass gold=FILE_OR_DIR (data/gold and the seed are absent)")
    report = ReadReport()
    gold = load_gold(sources, report=report)
    for src in sources:
        tracker.log_input(f"gold:{src.name}", src, context="eval")
    preds = list(read_jsonl(paths.quotes, Quote)) if paths.quotes.exists() else []
    if paths.articles.exists():
        covered = {
            a["id"] for a in (json.loads(line) for line in paths.articles.open(encoding="utf-8") if line.strip())
        }
    else:
        covered = {q.article_id for q in preds}
    missing = [g for g in gold if g.article_id not in covered]
    if missing:
        log.info("annotating %d gold articles the run did not cover", len(missing))
        opts = reader_options(cfg)
        articles = [a for g in missing for a in iter_articles(g.article_path, opts)]
        preds += _annotate(articles, cfg)
    result = score_quotes(preds, gold, threshold=float(cfg.quote_eval.threshold))
    result["annotated_here"] = sorted(g.article_id for g in missing)
    result["skipped_gold"] = [f"{s.source}: {s.reason}" for s in report.skips]
    a = result["all"]
    summary = [
        f"{len(gold)} gold files ({', '.join(f'{k}: {sum(g.group == k for g in gold)}' for k in result['groups'])}); "
        f"{a['n_pred']} predictions vs {a['n_gold']} required gold quotes",
        f"quote P/R/F1 {a['quote']['p']:.3f}/{a['quote']['r']:.3f}/{a['quote']['f1']:.3f} at coverage >= "
        f"{result['threshold']}; exact F1 {a['quote_exact']['f1']:.3f}; jaccard F1 {a['quote_jaccard']['f1']:.3f}",
        f"speaker acc {a['speaker']['acc']:.3f}, cue acc {a['cue']['acc']:.3f}, target acc {a['target']['acc']:.3f} "
        f"(over {a['speaker']['n']} matched)",
    ]
    for group, s in result["groups"].items():
        summary.append(f"{group}: quote F1 {s['quote']['f1']:.3f}, speaker acc {s['speaker']['acc']:.3f}")
    if missing:
        summary.append(f"annotated here (not in the run): {', '.join(result['annotated_here'])}")
    if report.skips:
        summary.append(f"skipped gold files: {len(report.skips)} (see quote_metrics.json)")
    return result, metrics_of(result), summary


def evaluate_polnear(root: Path, split: str, max_articles: int, predict: Any) -> dict[str, Any]:
    """Read a PolNeAR split, get predictions from ``predict(articles) -> Iterable[Quote]`` and score them."""
    from quotecontra.polnear import iter_polnear

    report = ReadReport()
    docs = list(iter_polnear(root, split, max_articles=max_articles, report=report))
    if not docs:
        raise ValueError(f"no PolNeAR {split} articles read from {root}: {report.summary()}")
    preds = list(predict([d.article for d in docs]))
    result = score_polnear(preds, docs)
    result["split"] = split
    result["skipped_articles"] = [f"{s.source}: {s.reason}" for s in report.skips]
    result["skipped_incomplete_attributions"] = sum(d.skipped_events for d in docs)
    return result


def _run_polnear(cfg: DictConfig, tracker: Any) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    root = Path(cfg.data.shared_dir) / "polnear"
    result = evaluate_polnear(root, cfg.split, int(cfg.quote_eval.max_articles), lambda arts: _annotate(arts, cfg))
    tracker.log_input(f"polnear:{cfg.split}", root / "metadata.tsv", context="eval")
    summary = [
        f"PolNeAR {cfg.split}: {result['n_articles']} articles, {result['n_pred']} predictions, "
        f"{result['n_gold']} gold attributions"
    ]
    for role in ("content", "source", "cue"):
        ex, ov = result[role]["exact"], result[role]["overlap"]
        summary.append(
            f"{role:<8} exact P/R/F1 {ex['p']:.3f}/{ex['r']:.3f}/{ex['f1']:.3f}   "
            f"overlap P/R/F1 {ov['p']:.3f}/{ov['r']:.3f}/{ov['f1']:.3f}"
        )
    return result, polnear_metrics(result), summary


def run(cfg: DictConfig, tracker: Any) -> Any:
    """Stage ``evaluate-quotes``: dataset=gold scores run_dir/quotes.jsonl; dataset=polnear annotates and scores."""
    from quotecontra.runpaths import RunPaths
    from quotecontra.stages import StageResult

    if cfg.dataset == "gold":
        result, metrics, summary = _run_gold(cfg, tracker)
    elif cfg.dataset == "polnear":
        result, metrics, summary = _run_polnear(cfg, tracker)
    else:
        raise ValueError(f"dataset={cfg.dataset!r}: expected gold or polnear")
    result["dataset"] = cfg.dataset
    out = RunPaths.of(cfg.run_dir).quote_metrics
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return StageResult(metrics=metrics, outputs=[out], summary=summary)
