"""Articles -> records, one article at a time in effect: parse in batches, but fail, time out and window alone.

``nlp.pipe`` parses articles in batches, and an exception inside it (a component error, a text over
``nlp.max_length``) would end the whole generator and the run with it. Here the articles handed to the pipe and not
yet returned are tracked; when the pipe fails they are parsed one by one, so only the article that breaks the parser
is lost (listed in ``errors`` with its reason), and a fresh pipe carries on with the rest. Articles longer than
:data:`~quotecontra.annotate.limits.WINDOW_CHARS` skip the batch parse and are parsed in paragraph windows; every
article runs under ``max_seconds_per_article``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from quotecontra.annotate.extract import AnnotateOptions, annotate_doc
from quotecontra.annotate.limits import WINDOW_CHARS, Budget, BudgetExceeded, shift, windows
from quotecontra.annotate.marks import paragraphs
from quotecontra.records import Article, Quote

log = logging.getLogger(__name__)

ERROR = "annotate error"
"""Reason prefix of an article whose parse or rules raised."""
OVER_BUDGET = "annotate over budget"
"""Reason prefix of an article that ran past ``annotate.max_seconds_per_article``."""


class _OrderError(RuntimeError):
    """The pipe returned an article out of input order: a bug, never one article's fault."""


@dataclass
class _Item:
    article: Article
    cached: list[Quote] | None


def annotate_windowed(
    article: Article, nlp: Any, options: AnnotateOptions, budget: Budget | None = None, limit: int = WINDOW_CHARS
) -> list[Quote]:
    """Records of a long article parsed window by window (whole paragraphs, at most ``limit`` characters each).

    Each window is one Doc, so speakers and pronouns resolve within a window; spans are the article's offsets.
    The budget is checked after every window's parse, so an article over it stops within one window's time, and
    after every window against the pace so far, so a hopeless article stops after its first window.
    """
    budget = budget if budget is not None else Budget(options.max_seconds_per_article)
    spans = windows(article.text, paragraphs(article.text), min(limit, int(nlp.max_length)))
    records: list[Quote] = []
    for k, (s, e) in enumerate(spans):
        budget.check(f"window {k + 1} of {len(spans)}")
        part = article.model_copy(update={"text": article.text[s:e]})
        doc = nlp(part.text)
        budget.check(f"window {k + 1} of {len(spans)}, parsed")
        records.extend(shift(q, s, article.id) for q in annotate_doc(doc, part, options, budget=budget, title=k == 0))
        budget.project(k + 1, len(spans))
    return records


def annotate_articles(
    articles: Iterable[Article],
    nlp: Language | Callable[[], Any],
    options: AnnotateOptions,
    known: Callable[[Article], list[Quote] | None] | None = None,
    errors: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[Article, list[Quote]]]:
    """Stream (article, records): each article parsed once by ``nlp.pipe``, in input order, memory flat.

    ``nlp`` may be a loader called only when the first article needs parsing; ``known`` returns cached records
    for an article (its text is then not parsed). An article whose parse or rules fail, or that runs past
    ``options.max_seconds_per_article``, yields no records and is listed once in ``errors`` as (id, reason); the
    batch goes on. A pure function over an iterable, so it maps over batches.
    """
    errors = errors if errors is not None else []
    source = iter(articles)
    pending: deque[_Item] = deque()  # handed to the pipe, not yet returned by it
    limit = WINDOW_CHARS  # lowered to the model's max_length once it is loaded

    broken: list[BaseException] = []  # an error of the input itself: never one article's, so it propagates

    def fed() -> Iterator[_Item]:
        while True:
            try:
                art = next(source)
            except StopIteration:
                return
            except Exception as exc:
                broken.append(exc)
                raise
            item = _Item(art, lookup(art))
            pending.append(item)
            yield item

    def lookup(art: Article) -> list[Quote] | None:
        """Cached records, or None (a cache that cannot be read means parsing the article again)."""
        if known is None:
            return None
        try:
            return known(art)
        except Exception as exc:
            log.warning("cache lookup failed for article %s (%s); parsing it", art.id, exc)
            return None

    def texts(items: Iterable[_Item]) -> Iterator[tuple[str, _Item]]:
        """What the pipe parses: nothing for a cached article or a long one (parsed in windows later)."""
        for item in items:
            parse = item.cached is None and len(item.article.text) <= limit
            yield (item.article.text if parse else ""), item

    feed = fed()
    # Serve leading cached articles without loading spaCy at all (an unchanged corpus never parses).
    for item in feed:
        if item.cached is None:
            first = item
            break
        pending.popleft()
        yield item.article, item.cached
    else:
        return
    model = nlp if isinstance(nlp, Language) else nlp()
    limit = min(WINDOW_CHARS, int(getattr(model, "max_length", WINDOW_CHARS)))

    def finish(doc: Doc | None, item: _Item) -> tuple[Article, list[Quote]]:
        art = item.article
        if item.cached is not None:
            return art, item.cached
        budget = Budget(options.max_seconds_per_article)
        try:
            if len(art.text) > limit:
                return art, annotate_windowed(art, model, options, budget, limit)
            if doc is None:
                doc = model(art.text)
            return art, annotate_doc(doc, art, options, budget=budget)
        except BudgetExceeded as exc:
            log.warning("article %s skipped: %s", art.id, exc)
            errors.append((art.id, f"{OVER_BUDGET}: {exc}"))
        except Exception as exc:  # one article's failure must not stop the corpus
            log.exception("annotate failed on article %s", art.id)
            errors.append((art.id, f"{ERROR}: {type(exc).__name__}: {exc}"))
        return art, []

    items: Iterator[_Item] = chain([first], feed)
    while True:
        try:
            for doc, item in model.pipe(
                texts(items), as_tuples=True, batch_size=options.batch_size, n_process=options.n_process
            ):
                if pending.popleft() is not item:
                    raise _OrderError(f"nlp.pipe returned {item.article.id} out of input order")
                yield finish(doc, item)
            return
        except _OrderError:
            raise
        except Exception as exc:
            if broken or not pending:
                raise  # the input failed, or nothing was in flight: not one article's fault
            log.warning(
                "nlp.pipe failed (%s: %s); parsing its %d articles in flight one by one",
                type(exc).__name__,
                exc,
                len(pending),
            )
        # The pipe is dead: the articles it held are parsed alone (the one that broke it fails alone), then a
        # fresh pipe takes the rest.
        while pending:
            yield finish(None, pending.popleft())
        items = fed()
