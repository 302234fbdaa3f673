"""Our gold files as tagger training data: quote text, cue and speaker located in the article as spans.

Gold files (the ``data/gold`` format, also what ``import-annotations`` writes from Label Studio) give a quote's
words, its cue as written and its speaker's aliases, not offsets. Each piece is found verbatim in the article
(after the previous piece); the cue is the nearest whole-word occurrence of the cue outside the content, within
``WINDOW`` characters and the content's paragraphs; the source the nearest occurrence of the longest alias the same way. A quote whose content
or cue cannot be found is left out (counted), so a wrong guess never teaches the tagger; a quote whose speaker is
not named nearby (a pronoun, "the company") keeps no source. Heldout files never train.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from quotecontra.polnear import Attribution
from quotecontra.records import Article

log = logging.getLogger(__name__)

WINDOW = 250
Span = tuple[int, int]


@dataclass
class GoldDoc:
    """A gold article with its located attributions (the shape the tagger's training reads)."""

    article: Article
    attributions: list[Attribution]


def find_pieces(text: str, pieces: Sequence[str]) -> tuple[Span, ...] | None:
    """Offsets of each piece in order (each after the previous one); None when one is not in the text."""
    out: list[Span] = []
    pos = 0
    for piece in pieces:
        piece = piece.strip()
        i = text.find(piece, pos)
        if not piece or i < 0:
            return None
        out.append((i, i + len(piece)))
        pos = i + len(piece)
    return tuple(out)


def nearest(text: str, phrase: str, content: Sequence[Span], window: int = WINDOW) -> Span | None:
    """The whole-word, case-insensitive occurrence of ``phrase`` closest to the content and outside it, in the
    content's paragraphs (a name in an earlier paragraph is not the mention a 'she said' frame attributes to)."""
    lo, hi = content[0][0], content[-1][1]
    para_lo = text.rfind("\n", 0, lo) + 1
    para_hi = text.find("\n", hi)
    para_hi = len(text) if para_hi < 0 else para_hi
    best: tuple[int, Span] | None = None
    rx = re.compile(r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)", re.IGNORECASE)
    for m in rx.finditer(text, max(para_lo, lo - window), min(para_hi, hi + window)):
        s, e = m.span()
        if any(s < ce and cs < e for cs, ce in content):
            continue
        dist = lo - e if e <= lo else s - hi if s >= hi else 0
        if best is None or dist < best[0]:
            best = (dist, (s, e))
    return best[1] if best else None


def locate(article: Article, quotes: Sequence[object]) -> tuple[list[Attribution], int]:
    """Attributions of one gold article's quotes; returns them and the count of quotes left out."""
    text = article.text
    out: list[Attribution] = []
    missed = 0
    for q in quotes:
        pieces = list(getattr(q, "pieces", ()) or [getattr(q, "text", "")])
        content = find_pieces(text, pieces)
        cue_text = getattr(q, "cue", None)
        cue = nearest(text, cue_text, content) if content and cue_text else None
        if content is None or cue is None:
            missed += 1
            continue
        source: tuple[Span, ...] = ()
        for alias in sorted(getattr(q, "speaker", None) or (), key=len, reverse=True):
            found = nearest(text, alias, content)
            if found is not None:
                source = (found,)
                break
        out.append(Attribution(id=str(getattr(q, "id", len(out))), content=content, cue=(cue,), source=source))
    return sorted(out, key=lambda a: a.content[0]), missed


def located_gold(paths: Sequence[Path]) -> tuple[list[GoldDoc], int]:
    """Gold files (files or folders) as training docs, heldout files excluded; returns docs and quotes missed."""
    from quotecontra.gold import load_gold

    docs: list[GoldDoc] = []
    missed = 0
    for g in load_gold(list(paths)):
        if g.group == "heldout":
            continue
        article = Article(id=g.article_id, text=g.article_text, source=str(g.article_path))
        atts, n = locate(article, g.quotes)
        missed += n
        if atts:
            docs.append(GoldDoc(article, atts))
    return docs, missed
