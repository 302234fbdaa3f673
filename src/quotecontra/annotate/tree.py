"""Subtree lookups in constant time: preorder intervals of a Doc's dependency trees, built once per article.

spaCy's ``Token.subtree`` is a recursive generator, so listing a subtree costs its size times its depth, and a rule
that lists one subtree per cue verb goes cubic on a chain of reported clauses ("the mayor said it was good and the
council said ..." repeated: each cue's clause holds the rest of the chain). Here every token's subtree is one slice
of a single preorder list: membership is two comparisons, a subtree's size is a subtraction, and a clause minus some
excluded branches is listed in time proportional to what is kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np
from spacy.attrs import HEAD
from spacy.tokens import Doc


class SubtreeIndex:
    """Preorder positions of every token: the subtree of ``i`` is ``order[start[i]:end[i]]``."""

    def __init__(self, doc: Doc) -> None:
        n = len(doc)
        heads = (np.arange(n, dtype=np.int64) + doc.to_array([HEAD]).reshape(-1).astype(np.int64)).tolist()
        children: list[list[int]] = [[] for _ in range(n)]
        roots: list[int] = []
        for i, h in enumerate(heads):
            if h == i:
                roots.append(i)
            elif 0 <= h < n:
                children[h].append(i)
            else:
                raise ValueError(f"token {i} has head {h} outside the Doc ({n} tokens)")
        self.heads = heads
        self.order: list[int] = []
        self.start = [0] * n
        self.end = [0] * n
        for root in roots:
            stack = [root]
            while stack:
                v = stack.pop()
                if v < 0:  # ~v's children are all listed: its interval ends here
                    self.end[~v] = len(self.order)
                    continue
                self.start[v] = len(self.order)
                self.order.append(v)
                stack.append(~v)
                stack.extend(reversed(children[v]))
        if len(self.order) != n:
            raise ValueError(f"the dependency heads do not form trees ({len(self.order)} of {n} tokens reached)")

    def contains(self, root: int, i: int) -> bool:
        """``i`` is ``root`` or one of its descendants."""
        return self.start[root] <= self.start[i] < self.end[root]

    def size(self, root: int) -> int:
        return self.end[root] - self.start[root]

    def _kept(self, root: int, exclude: Iterable[int]) -> list[tuple[int, int]]:
        """Preorder intervals of ``root``'s subtree left after removing the subtrees of ``exclude``."""
        lo, hi = self.start[root], self.end[root]
        cuts = sorted(
            (max(lo, self.start[x]), min(hi, self.end[x])) for x in exclude if self.start[x] < hi and self.end[x] > lo
        )
        kept: list[tuple[int, int]] = []
        pos = lo
        for a, b in cuts:  # intervals of a forest are nested or disjoint: skip the ones already passed
            if a > pos:
                kept.append((pos, a))
            pos = max(pos, b)
        if pos < hi:
            kept.append((pos, hi))
        return kept

    def kept_size(self, root: int, exclude: Iterable[int] = ()) -> int:
        """How many tokens :meth:`ids` would list, without listing them."""
        return sum(b - a for a, b in self._kept(root, exclude))

    def ids(self, root: int, exclude: Iterable[int] = ()) -> list[int]:
        """Token indices (ascending) of ``root``'s subtree minus the subtrees of ``exclude``."""
        out: list[int] = []
        for a, b in self._kept(root, exclude):
            out.extend(self.order[a:b])
        out.sort()
        return out

    def cover(self, roots: Iterable[int]) -> Cover:
        """The union of the subtrees of ``roots``, as a membership test."""
        return Cover(self, roots)


class Cover:
    """Membership in a union of subtrees, by bisection over their merged preorder intervals."""

    def __init__(self, index: SubtreeIndex, roots: Iterable[int]) -> None:
        self._start = index.start
        merged: list[list[int]] = []
        for a, b in sorted((index.start[r], index.end[r]) for r in roots):
            if merged and a < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self._lo = [a for a, _ in merged]
        self._hi = [b for _, b in merged]

    def __contains__(self, i: int) -> bool:
        pos = self._start[i]
        k = bisect.bisect_right(self._lo, pos) - 1
        return k >= 0 and pos < self._hi[k]
