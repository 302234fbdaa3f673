"""Console output: progress bars only on a terminal, and mlflow's repeated dataset-source warning filtered."""

from __future__ import annotations

import io
import warnings

from quotecontra.console import PROGRESS_SWITCHES, filter_library_warnings, is_terminal, quiet_console


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_off_when_not_a_terminal() -> None:
    env: dict[str, str] = {}
    assert quiet_console(io.StringIO(), env) is False
    assert env == PROGRESS_SWITCHES
    assert env["TQDM_DISABLE"] == "1"  # tqdm reads it for every bar, the Trainer's included


def test_bars_stay_on_a_terminal() -> None:
    env: dict[str, str] = {}
    assert quiet_console(_Tty(), env) is True
    assert env == {}


def test_a_switch_the_user_set_wins() -> None:
    env = {"TQDM_DISABLE": "0"}
    quiet_console(io.StringIO(), env)
    assert env["TQDM_DISABLE"] == "0"
    assert env["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1"


def test_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert is_terminal(stream) is False


def test_tqdm_honours_the_switch(monkeypatch) -> None:
    """The mechanism itself: tqdm built after TQDM_DISABLE=1 draws nothing, even into a file."""
    import importlib

    import tqdm.std

    monkeypatch.setenv("TQDM_DISABLE", "1")
    std = importlib.reload(tqdm.std)  # the env defaults are read when the class is defined
    try:
        out = io.StringIO()
        for _ in std.tqdm(range(50), file=out, mininterval=0):
            pass
        assert out.getvalue() == ""
    finally:
        monkeypatch.delenv("TQDM_DISABLE")
        importlib.reload(tqdm.std)


def test_mlflow_dataset_source_warning_filtered_other_warnings_kept() -> None:
    from mlflow.data.dataset_source_registry import resolve_dataset_source

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve_dataset_source("/tmp/some/local/path")
    assert any("interpreted in multiple ways" in str(w.message) for w in caught), "mlflow no longer warns: drop it"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filter_library_warnings()
        resolve_dataset_source("/tmp/some/local/path")
        warnings.warn_explicit("another mlflow warning", UserWarning, "registry.py", 1, module="mlflow.data.x")
    assert [str(w.message) for w in caught] == ["another mlflow warning"]


class _FakeTrainer:
    """The Trainer's callback API (add_callback/remove_callback), with its default console callbacks."""

    def __init__(self) -> None:
        from transformers.trainer_callback import DefaultFlowCallback, ProgressCallback

        self.callbacks: list[object] = [DefaultFlowCallback(), ProgressCallback()]

    def remove_callback(self, cls: type) -> None:
        self.callbacks = [c for c in self.callbacks if not isinstance(c, cls)]

    def add_callback(self, cb: object) -> None:
        self.callbacks.append(cb)


def test_trainer_prints_one_line_per_evaluation_off_a_terminal(caplog) -> None:
    import logging
    from types import SimpleNamespace

    from transformers.trainer_callback import DefaultFlowCallback, ProgressCallback

    from quotecontra.console import quiet_trainer

    trainer = _FakeTrainer()
    assert quiet_trainer(trainer, logging.getLogger("quotecontra.train"), io.StringIO()) is True
    assert not any(isinstance(c, ProgressCallback) for c in trainer.callbacks)
    assert isinstance(trainer.callbacks[0], DefaultFlowCallback)
    state = SimpleNamespace(is_world_process_zero=True, global_step=40, max_steps=120, epoch=1.5)
    metrics = {"eval_loss": 1.0986, "eval_macro_f1": 0.41234, "eval_runtime": 3.2}
    with caplog.at_level(logging.INFO, logger="quotecontra.train"):
        trainer.callbacks[-1].on_evaluate(None, state, None, metrics=metrics)
    assert caplog.messages == ["step 40/120 (epoch 1.50): dev loss 1.099, macro_f1 0.4123"]

    on_tty = _FakeTrainer()
    assert quiet_trainer(on_tty, logging.getLogger("x"), _Tty()) is False
    assert any(isinstance(c, ProgressCallback) for c in on_tty.callbacks)
