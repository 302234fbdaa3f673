"""Tracking URIs: credentials redacted and moved out of the URI; a server that does not answer fails in seconds."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from quotecontra.mlflow_uri import (
    HTTP_DEFAULTS,
    TrackingUnavailableError,
    check_reachable,
    http_defaults,
    redact,
    scrub_override,
    split_credentials,
    use_credentials,
)

TOKEN = "s3cr3t-T0KEN"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"http://user:{TOKEN}@host:5000", "http://***@host:5000"),
        (f"https://{TOKEN}@host/path?x=1", "https://***@host/path?x=1"),
        (f"failed: HTTPConnectionPool for 'http://u:{TOKEN}@10.0.0.1:1/api' (x)", "failed: HTTPConnectionPool for 'http://***@10.0.0.1:1/api' (x)"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        ("http://host:5000/#/experiments/1", "http://host:5000/#/experiments/1"),
        ("mail me at a@b.c", "mail me at a@b.c"),
    ],
)  # fmt: skip
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_split_credentials_decodes_and_keeps_the_rest() -> None:
    assert split_credentials("http://al%40ice:p%2Fw@h:5000/mlflow") == ("http://h:5000/mlflow", "al@ice", "p/w")
    assert split_credentials("http://h:5000") == ("http://h:5000", None, None)
    assert split_credentials("sqlite:///a@b.db") == ("sqlite:///a@b.db", None, None)


def test_credentials_move_to_mlflows_variables() -> None:
    env = {"MLFLOW_TRACKING_USERNAME": "old"}
    assert use_credentials(f"http://user:{TOKEN}@h:1", env) == "http://h:1"
    assert env == {"MLFLOW_TRACKING_USERNAME": "user", "MLFLOW_TRACKING_PASSWORD": TOKEN}


def test_scrub_override_only_touches_the_tracking_uri() -> None:
    env: dict[str, str] = {}
    assert scrub_override(f"mlflow.tracking_uri=http://u:{TOKEN}@h:1", env) == "mlflow.tracking_uri=http://h:1"
    assert scrub_override(f"++mlflow.tracking_uri=http://u:{TOKEN}@h:1", env) == "++mlflow.tracking_uri=http://h:1"
    assert scrub_override("export.label_studio_url=http://u:p@h", env) == "export.label_studio_url=http://u:p@h"
    assert env["MLFLOW_TRACKING_PASSWORD"] == TOKEN


def test_http_defaults_lower_retries_unless_set() -> None:
    env = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "300"}
    http_defaults(env)
    assert env["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "300"
    assert env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == HTTP_DEFAULTS["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_closed_port_fails_fast_without_the_token() -> None:
    port = _closed_port()
    t0 = time.monotonic()
    with pytest.raises(TrackingUnavailableError) as err:
        check_reachable(f"http://user:{TOKEN}@127.0.0.1:{port}")
    assert time.monotonic() - t0 < 10
    assert f"http://127.0.0.1:{port} does not answer" in str(err.value)
    assert "mlflow.enabled=false" in str(err.value)
    assert TOKEN not in str(err.value)


@pytest.fixture
def http_404() -> Iterator[str]:
    """A server that answers every request with 404: it answers, so the probe passes (MLflow reports the rest)."""

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_server_that_answers_passes(http_404: str) -> None:
    check_reachable(http_404)
    check_reachable("sqlite:///mlflow.db")  # local stores are not probed
