"""Quote extraction on a parsed Doc: direct quotations, mixed and indirect reports, speakers, cues and targets.

Each article is parsed once (``nlp.pipe``); every rule then reads that Doc. Rules run from the most to the least
certain and each record names the rule that produced it, with a confidence, so that evaluation can break errors
down by rule and a consumer can filter on confidence. The rules live beside this entry point: the shared state
in :mod:`~quotecontra.annotate.context`, speakers in :mod:`~quotecontra.annotate.sources`, direct quotations in
:mod:`~quotecontra.annotate.direct`, reported clauses in :mod:`~quotecontra.annotate.reported`.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from quotecontra.annotate.context import Context
from quotecontra.annotate.cues import load_lexicon
from quotecontra.annotate.direct import attribute_conversation, find_direct
from quotecontra.annotate.limits import MAX_CLAUSE_TOKENS, Budget
from quotecontra.annotate.marks import span_text
from quotecontra.annotate.options import AnnotateOptions
from quotecontra.annotate.reported import dedupe_drafts, find_fragments, find_reported
from quotecontra.annotate.targets import pick_target
from quotecontra.records import Article, Quote, quote_id

log = logging.getLogger(__name__)


PARAGRAPH_COMPONENT = "quotecontra_paragraphs"


@Language.component(PARAGRAPH_COMPONENT)
def paragraph_boundaries(doc: Doc) -> Doc:
    """A line break always ends a sentence: headlines and paragraphs never merge into one parse."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            tok.is_sent_start = True
    return doc


@lru_cache(maxsize=2)
def build_nlp(model: str) -> Language:
    """Load the spaCy pipeline once per process and make line breaks sentence boundaries for the parser."""
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"annotate.spacy_model={model!r} cannot be loaded ({exc}); install the package or point to a path"
        ) from exc
    if PARAGRAPH_COMPONENT not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe(PARAGRAPH_COMPONENT, before=before) if before else nlp.add_pipe(PARAGRAPH_COMPONENT, first=True)
    nlp.max_length = max(nlp.max_length, 12_000_000)
    return nlp


def annotate_doc(
    doc: Doc, article: Article, options: AnnotateOptions, budget: Budget | None = None, title: bool = True
) -> list[Quote]:
    """All quote records of one parsed article (``doc.text`` must be ``article.text``).

    ``budget``: raises :class:`~quotecontra.annotate.limits.BudgetExceeded` when the article runs past it.
    ``title``: the first paragraph may be the article's title (False for a later window of a long article).
    """
    if doc.text != article.text:
        raise ValueError(f"article {article.id}: the Doc's text is not the article's text")
    ctx = Context(doc, article.text, load_lexicon(options.extra_cues), options, budget=budget, title=title)
    direct, fragments = find_direct(ctx)
    attribute_conversation(direct)
    direct_ids = {id(d.quotation) for d in direct}
    reported = find_reported(ctx, direct_ids)
    mixed = find_fragments(ctx, fragments, reported)
    records: list[Quote] = []
    if ctx.capped:
        log.info("article %s: %d reported clauses over %d tokens not listed", article.id, ctx.capped, MAX_CLAUSE_TOKENS)
    for d in dedupe_drafts(direct + reported + mixed):
        ctx.budget.check("targets")
        text = span_text(article.text, d.spans)
        anchor = ctx.paras[d.para][0] if d.type == "direct" else d.start
        target = pick_target(d.tokens, ctx.index, d.speaker, anchor, quoted=d.type == "direct")
        records.append(
            Quote(
                id=quote_id(article.id, d.spans),
                article_id=article.id,
                text=text,
                type=d.type,
                speaker=d.speaker,
                cue=d.cue_text,
                target=target,
                spans=d.spans,
                speaker_span=d.speaker_span,
                cue_span=d.cue_span,
                rule=d.rule,
                confidence=d.confidence,
            )
        )
    return records
