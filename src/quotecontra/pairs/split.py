"""Group splits, near-duplicate removal and artifact-aware label balancing.

Splits are made by article (the pair's ``group``): every perturbation of a claim, and every claim of an
article, lands in one split, so a model never sees a test sentence's siblings in training.

Balancing works in two steps. Labels are first equalised inside each hypothesis-negation stratum, so "not" is
equally common in every label's hypotheses. Then an AFLite-style adversarial filter (Le Bras et al. 2020)
removes, round by round, the pairs that a hypothesis-only or an overlap-only model classifies confidently
out-of-fold (folds by article), until neither beats chance by more than a small margin.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from quotecontra.baselines import words
from quotecontra.pairs.perturb import has_negation
from quotecontra.records import LABELS, Pair

SPLITS = ("train", "dev", "test")


def normalise(text: str) -> str:
    """Case, punctuation and spacing folded: two texts equal under this are near-duplicates."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def pair_key(premise: str, hypothesis: str) -> tuple[str, str]:
    return normalise(premise), normalise(hypothesis)


def dedup(pairs: Iterable[Pair], exclude: set[tuple[str, str]] | None = None) -> tuple[list[Pair], int]:
    """First of each near-duplicate (premise, hypothesis) kept; pairs whose sides are equal, or that repeat an
    ``exclude`` key (the natural gold pairs), dropped. Conflicting labels for one key keep none of them."""
    exclude = exclude or set()
    by_key: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    dropped = 0
    for p in pairs:
        key = pair_key(p.premise, p.hypothesis)
        if key[0] == key[1] or key in exclude or (key[1], key[0]) in exclude:
            dropped += 1
            continue
        if key not in by_key:
            order.append(key)
        by_key[key].append(p)
    kept = []
    for key in order:
        group = by_key[key]
        if len({p.label for p in group}) > 1:
            dropped += len(group)  # the same pair made with two labels: an edit we cannot trust
            continue
        kept.append(group[0])
        dropped += len(group) - 1
    return kept, dropped


def assign_splits(
    group_sizes: dict[str, int], ratios: Sequence[float], seed: int, force: dict[str, str] | None = None
) -> dict[str, str]:
    """Map each group to train/dev/test so that pair counts follow ``ratios``; ``force`` pins groups first.

    Groups are visited in a seeded random order and each goes to the split furthest below its target share.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise ValueError(f"pairs.split_ratios must be three non-negative fractions, got {list(ratios)}")
    total = sum(ratios)
    target = {s: r / total for s, r in zip(SPLITS, ratios, strict=True)}
    force = force or {}
    out: dict[str, str] = {}
    filled: Counter[str] = Counter()
    for g, s in sorted(force.items()):
        if g in group_sizes:
            out[g] = s
            filled[s] += group_sizes[g]
    rest = sorted(g for g in group_sizes if g not in out)
    random.Random(seed).shuffle(rest)
    grand = sum(group_sizes.values()) or 1
    for i, g in enumerate(rest):
        open_splits = [s for s in SPLITS if target[s] > 0]
        if i < len(open_splits) and not filled[open_splits[i]] and len(rest) >= len(open_splits):
            s = open_splits[i]  # every split gets at least one group
        else:
            s = min(open_splits, key=lambda s: (filled[s] / grand) - target[s])
        out[g] = s
        filled[s] += group_sizes[g]
    return out


def stratum(premise: str, hypothesis: str, cap: int = 4) -> tuple[int, int, int]:
    """(hypothesis has a negation word, words the hypothesis adds, words the premise loses; counts capped)."""
    p, h = set(words(premise)), set(words(hypothesis))
    return int(has_negation(hypothesis)), min(len(h - p), cap), min(len(p - h), cap)


def balance_labels(pairs: Sequence[Pair], seed: int, fine: bool = True) -> list[Pair]:
    """Equal label counts inside each shortcut stratum (strata lacking a label are dropped).

    ``fine`` strata are (hypothesis negation, words added, words lost); coarse ones only the negation, which
    keeps the hypothesis negation rate equal across labels.
    """
    rng = random.Random(seed)
    strata: dict[tuple, dict[str, list[Pair]]] = defaultdict(lambda: defaultdict(list))
    for p in pairs:
        key = stratum(p.premise, p.hypothesis)
        strata[key if fine else key[:1]][str(p.label)].append(p)
    out: list[Pair] = []
    for key in sorted(strata):
        by_label = strata[key]
        n = min(len(by_label.get(lab, [])) for lab in LABELS)
        for lab in LABELS:
            group = sorted(by_label.get(lab, []), key=lambda p: p.id)
            rng.shuffle(group)
            out.extend(group[:n])
    return sorted(out, key=lambda p: p.id)


def _oof_gold_proba(pairs: Sequence[Pair], fit, seed: int, folds: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probability of each pair's gold label and whether it is the argmax, folds by group."""
    from sklearn.model_selection import GroupKFold

    prem = [p.premise for p in pairs]
    hyp = [p.hypothesis for p in pairs]
    labels = np.asarray([str(p.label) for p in pairs])
    groups = [p.group for p in pairs]
    out = np.zeros(len(pairs))
    correct = np.zeros(len(pairs), dtype=bool)
    n_groups = len(set(groups))
    for tr, te in GroupKFold(n_splits=min(folds, n_groups)).split(prem, labels, groups):
        if len(set(labels[tr])) < 2:
            continue
        model = fit([prem[i] for i in tr], [hyp[i] for i in tr], list(labels[tr]), seed)
        proba = model.predict_proba([prem[i] for i in te], [hyp[i] for i in te])
        cls = list(model.classes_)
        for k, i in enumerate(te):
            out[i] = proba[k, cls.index(labels[i])] if labels[i] in cls else 0.0
            correct[i] = cls[int(np.argmax(proba[k]))] == labels[i]
    return out, correct


def _train_test_accuracy(pairs: Sequence[Pair], seed: int) -> dict[str, float]:
    """Accuracy of each shortcut model fitted on the train split and scored on the test split (when both exist)."""
    from quotecontra.baselines import accuracy, fit_hypothesis_only, fit_overlap_only

    train = [p for p in pairs if p.split == "train"]
    test = [p for p in pairs if p.split == "test"]
    if len({p.label for p in train}) < 2 or not test:
        return {}
    out = {}
    for name, fit in (("hypothesis_only", fit_hypothesis_only), ("overlap_only", fit_overlap_only)):
        model = fit([p.premise for p in train], [p.hypothesis for p in train], [str(p.label) for p in train], seed)
        out[f"{name}_test"] = accuracy(
            model, [p.premise for p in test], [p.hypothesis for p in test], [str(p.label) for p in test]
        )
    return out


def adversarial_filter(
    pairs: Sequence[Pair],
    seed: int,
    margin: float = 0.03,
    folds: int = 3,
    max_rounds: int = 12,
    drop_frac: float = 0.12,
) -> tuple[list[Pair], list[dict[str, float]]]:
    """AFLite-style filtering (Le Bras et al. 2020) against the two shortcut baselines.

    Each round scores every pair out-of-fold with the hypothesis-only and the overlap-only model. Only a model that
    still beats chance (1/3, labels are balanced) by more than ``margin`` votes on what to drop: pushing a model that
    is already at chance further would make it *anti*-correlated with the label, which is a shortcut too. The
    ``drop_frac`` of pairs the voting models find easiest (highest gold-label probability) are removed and labels
    re-balanced. Returns the kept pairs and the per-round accuracies.
    """
    from quotecontra.baselines import fit_hypothesis_only, fit_overlap_only

    def fit_hyp(p, h, y, s):  # a lighter vocabulary than the reported baseline: this runs folds x rounds times
        return fit_hypothesis_only(p, h, y, s, max_features=5000)

    kept = balance_labels(pairs, seed, fine=False)
    history: list[dict[str, float]] = []
    for r in range(max_rounds):
        if len({p.group for p in kept}) < 2 or len(kept) < 60:
            break
        ph, ch = _oof_gold_proba(kept, fit_hyp, seed, folds)
        po, co = _oof_gold_proba(kept, fit_overlap_only, seed, folds)
        acc_h, acc_o = float(ch.mean()), float(co.mean())
        held = _train_test_accuracy(kept, seed)  # the figure the card reports: fit on train, score on test
        history.append({"round": r, "n": len(kept), "hypothesis_only": acc_h, "overlap_only": acc_o, **held})
        voters = [proba for proba, acc in ((ph, acc_h), (po, acc_o)) if acc > 1 / 3 + margin]
        held_over = [k for k, v in held.items() if v > 1 / 3 + margin]
        if not voters and not held_over:
            break
        if not voters:  # out-of-fold is at chance but train->test is not: let the held-out offender vote
            voters = [ph if k.startswith("hypothesis") else po for k in held_over]
        score = np.sum(voters, axis=0)
        n_drop = max(1, int(drop_frac * len(kept)))
        drop = set(np.argsort(-score, kind="stable")[:n_drop].tolist())
        kept = balance_labels([p for i, p in enumerate(kept) if i not in drop], seed + r + 1, fine=False)
    return kept, history


def label_counts(pairs: Iterable[Pair]) -> dict[str, int]:
    c = Counter(p.label for p in pairs)
    return {lab: c.get(lab, 0) for lab in LABELS}
