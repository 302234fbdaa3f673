"""The MLflow tracking URI: credentials kept out of everything printed or logged, and a server that is down found fast.

``mlflow.tracking_uri=http://user:token@host:5000`` works, but the token must never reach a stage summary, MLflow's
own "View run" lines, an error message, Hydra's saved overrides or the logged config. So the credentials are moved
into MLflow's own variables (``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``) and MLflow only ever sees
the bare URI; :func:`redact` is the one helper for any text that may still hold one.

MLflow's HTTP client retries 7 times with exponential backoff and waits 120 s per request: a URI that does not
answer hung a stage for minutes. :func:`check_reachable` asks the server once, with a short timeout, before the
first run starts, and :func:`http_defaults` lowers the retries for the rest of the process.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import MutableMapping

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")
REDACTED = "***"
# MLflow reads these on every request; each is a default, so a value the user exported wins.
HTTP_DEFAULTS: dict[str, str] = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
PROBE_TIMEOUT_S = 5.0


class TrackingUnavailableError(RuntimeError):
    """The tracking store does not answer (or refuses us): a stage cannot log, so it does not start."""


def redact(text: str) -> str:
    """``http://user:token@host`` -> ``http://***@host`` everywhere in ``text`` (a URI, a message, a YAML dump)."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """``(uri without user info, user, password)``; user and password are URL-decoded, None when absent."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme not in {"http", "https"} or "@" not in parts.netloc:
        return uri, None, None
    host = parts.netloc.rsplit("@", 1)[1]
    bare = urllib.parse.urlunsplit(parts._replace(netloc=host))
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return bare, user, password


def use_credentials(uri: str, environ: MutableMapping[str, str] | None = None) -> str:
    """Move the user info of ``uri`` into MLflow's credential variables; returns the bare URI for MLflow.

    Credentials written in the URI are the more specific choice, so they replace variables already set.
    """
    env = os.environ if environ is None else environ
    bare, user, password = split_credentials(uri)
    if user is not None:
        env["MLFLOW_TRACKING_USERNAME"] = user
    if password is not None:
        env["MLFLOW_TRACKING_PASSWORD"] = password
    return bare


def http_defaults(environ: MutableMapping[str, str] | None = None) -> None:
    """Few, short retries for MLflow's HTTP client (see :data:`HTTP_DEFAULTS`), unless the user set them."""
    env = os.environ if environ is None else environ
    for name, value in HTTP_DEFAULTS.items():
        env.setdefault(name, value)


def check_reachable(uri: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`TrackingUnavailableError` within ``timeout`` seconds when an http(s) store does not answer.

    Any HTTP reply counts as an answer (a 401 or 404 is reported by MLflow itself, with its reason); only a refused
    or timed-out connection, or a name that does not resolve, fails here. Other stores (sqlite, files) are local.
    """
    bare, _, _ = split_credentials(uri)
    if urllib.parse.urlsplit(bare).scheme not in {"http", "https"}:
        return
    try:
        with urllib.request.urlopen(f"{bare.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return
    except OSError as exc:  # URLError, a refused connection, a timeout
        reason = getattr(exc, "reason", exc)
        raise TrackingUnavailableError(
            f"MLflow tracking server {redact(bare)} does not answer ({redact(str(reason))}); start it, point "
            "mlflow.tracking_uri at one that runs, or pass mlflow.enabled=false"
        ) from None


def scrub_override(override: str, environ: MutableMapping[str, str] | None = None) -> str:
    """``mlflow.tracking_uri=http://u:t@h`` -> ``mlflow.tracking_uri=http://h``, the credentials moved to the
    environment (:func:`use_credentials`); every other override is returned as it is."""
    key, sep, value = override.partition("=")
    if not sep or key.lstrip("+") != "mlflow.tracking_uri":
        return override
    return f"{key}={use_credentials(value, environ)}"
