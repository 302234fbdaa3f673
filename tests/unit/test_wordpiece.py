"""The tiny BERT's WordPiece vocabulary: chosen by frequency with ties broken by the piece, the same in every process
(the ``tokenizers`` trainer it replaced gave another vocabulary per process, so two runs trained other models)."""

from __future__ import annotations

import os
import subprocess
import sys

from quotecontra.models import SPECIAL_TOKENS, train_wordpiece, wordpiece_vocab

SPECIALS = list(SPECIAL_TOKENS.values())


def test_vocab_takes_every_character_then_the_most_frequent_pieces_ties_by_the_piece() -> None:
    words = ["said"] * 3 + ["sad"] * 2 + ["aid"] * 2
    vocab = wordpiece_vocab(words, vocab_size=len(SPECIALS) + 8 + 3, specials=SPECIALS)
    pieces = list(vocab)  # in id order
    assert pieces[: len(SPECIALS)] == SPECIALS
    assert pieces[len(SPECIALS) : len(SPECIALS) + 8] == ["a", "d", "i", "s", "##a", "##d", "##i", "##s"]
    # Counted per occurrence: "sa" 3 (said) + 2 (sad) = 5, "##id" 3 (said) + 2 (aid) = 5, then "##aid", "sai" and
    # "said" at 3, then the pieces at 2. Ties go by the piece: "##id" < "sa" and "##aid" < "sai" < "said".
    assert pieces[len(SPECIALS) + 8 :] == ["##id", "sa", "##aid"]
    assert list(vocab.values()) == list(range(len(vocab)))


def test_small_budget_keeps_the_alphabet_and_nothing_more() -> None:
    vocab = wordpiece_vocab(["abc", "abd"], vocab_size=1, specials=SPECIALS)
    assert set(vocab) == {*SPECIALS, "a", "b", "c", "d", "##a", "##b", "##c", "##d"}


def test_tokenizer_splits_unknown_words_into_known_pieces() -> None:
    tok = train_wordpiece(["The minister said the budget was balanced."] * 3 + ["Budgets balance."], 60, 32)
    pieces = tok.convert_ids_to_tokens(tok("the budgets said")["input_ids"])
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert "[UNK]" not in pieces and "".join(p.removeprefix("##") for p in pieces[1:-1]) == "thebudgetssaid"


def test_the_same_texts_give_the_same_tokenizer_in_every_process() -> None:
    code = (
        "import hashlib, json; from quotecontra.models import train_wordpiece;"
        "texts = [f'Councillor {i} said the {w} plan was {a}.' for i in range(40) for w, a in"
        " [('bridge', 'unaffordable'), ('budget', 'balanced'), ('clinic', 'closing'), ('depot', 'safe')]];"
        "tok = train_wordpiece(texts, 200, 64);"
        "print(hashlib.sha256(json.dumps(sorted(tok.get_vocab().items())).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1, digests
