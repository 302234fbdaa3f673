"""A small W3C WebDriver client over urllib, for driving Debian's chromedriver from a test.

Only what the browser tests need: a session on headless Chromium, navigation, CSS lookups, clicks, typing,
scripts and screenshots. It speaks the W3C protocol (https://www.w3.org/TR/webdriver2/) to chromedriver, so the
tests need no browser library in the project's environment. chromedriver and the browser run under ``nice`` (see
:func:`niced`) in their own process group, stopped by its pid.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from tests.integration.label_studio_support import NICE, free_port, stop

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
T = TypeVar("T")


class WebDriverError(AssertionError):
    """A WebDriver command that failed; the message has the command and the driver's error."""


class Browser:
    def __init__(self, base: str, session: str) -> None:
        self.base, self.session = base, session

    def _call(self, method: str, path: str, body: Any = None, timeout: float = 120) -> Any:
        url = f"{self.base}/session/{self.session}{path}"
        data = json.dumps({} if body is None else body).encode() if method == "POST" else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                err = json.loads(raw)["value"]
                msg = f"{err.get('error')}: {str(err.get('message'))[:600]}"
            except (ValueError, KeyError, AttributeError):
                msg = raw[:600].decode(errors="replace")
            raise WebDriverError(f"{method} {path} -> {exc.code} {msg}") from exc

    def get(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    @property
    def url(self) -> str:
        return self._call("GET", "/url")

    def find_all(self, css: str) -> list[str]:
        found = self._call("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def find(self, css: str, timeout: float = 60) -> str:
        """The first element matching css, waiting for it to appear."""
        return self.wait(lambda: (self.find_all(css) or [None])[0], timeout, f"an element {css!r}")

    def click(self, element: str) -> None:
        self._call("POST", f"/element/{element}/click")

    def type(self, element: str, text: str) -> None:
        self._call("POST", f"/element/{element}/value", {"text": text})

    def clear(self, element: str) -> None:
        self._call("POST", f"/element/{element}/clear")

    def text(self, element: str) -> str:
        return self._call("GET", f"/element/{element}/text")

    def keys(self, keys: str) -> None:
        """Key presses sent to whatever has the focus (a key action sequence)."""
        actions = [a for k in keys for a in ({"type": "keyDown", "value": k}, {"type": "keyUp", "value": k})]
        self._call("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": actions}]})
        self._call("DELETE", "/actions")

    def js(self, script: str, *args: Any) -> Any:
        """Run a script (a function body; ``arguments`` holds args, element ids given as ``Browser.el(id)``)."""
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    @staticmethod
    def el(element: str) -> dict[str, str]:
        return {ELEMENT: element}

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))
        return path

    def wait(self, probe: Callable[[], T | None], timeout: float, what: str, every: float = 0.5) -> T:
        """Poll probe until it returns something truthy; fail naming what was awaited."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                got = probe()
            except WebDriverError as exc:  # e.g. a stale element while the page re-renders
                got, last = None, exc
            if got:
                return got
            time.sleep(every)
        raise WebDriverError(f"waited {timeout:.0f}s for {what}" + (f" (last error: {last})" if last else ""))


def niced() -> list[str]:
    """``nice`` for the browser. Chromium raises its own priority (the browser and GPU processes to nice -8,
    renderers to 0), which root may do; without CAP_SYS_NICE (dropped by setpriv) it can only stay at nice 19."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        return ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", *NICE]
    return NICE


def chromium_paths() -> tuple[str, str] | None:
    """Debian's chromium and chromedriver, when installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def headless_chromium(log: Path, size: tuple[int, int] = (1600, 1000)) -> Iterator[Browser]:
    """chromedriver on a free port and one headless Chromium session; both stopped afterwards."""
    paths = chromium_paths()
    if paths is None:
        raise RuntimeError("chromium and chromedriver are not installed")
    binary, driver = paths
    port = free_port()
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [*niced(), driver, f"--port={port}"], stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/status", timeout=5) as resp:
                    if json.loads(resp.read())["value"].get("ready"):
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromedriver did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size[0]},{size[1]}"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": binary, "args": args},
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "timeouts": {"pageLoad": 120_000, "script": 60_000},
                }
            }
        }
        req = urllib.request.Request(
            base + "/session", data=json.dumps(caps).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            session = json.loads(resp.read())["value"]["sessionId"]
        browser = Browser(base, session)
        try:
            yield browser
        finally:
            with suppress(WebDriverError, OSError):
                browser._call("DELETE", "", timeout=30)
    finally:
        stop(proc)
