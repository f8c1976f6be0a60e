"""A one-line spinner on stderr while builders are probed; nothing at all off a terminal.

Nodes are probed concurrently, so `update` may be called from any thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any, Optional

from runtimecheck.safe import printable

from .style import encodes

UNICODE_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ASCII_FRAMES = "|/-\\"
_CLEAR_LINE = "\r\x1b[K"


def wanted(stream: Optional[IO[Any]], env: Optional[Mapping[str, str]] = None) -> bool:
    """On a terminal only, and not in CI (where logs keep every carriage return)."""
    env = os.environ if env is None else env
    if env.get("CI") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError, AttributeError):
        return False


class Progress:
    """`with Progress(sys.stderr) as p: p.update("probing builder0")`; cleared on exit."""

    def __init__(
        self,
        stream: Optional[IO[Any]] = None,
        *,
        env: Optional[Mapping[str, str]] = None,
        enabled: Optional[bool] = None,
        interval: float = 0.1,
    ):
        self.stream = stream
        self.enabled = wanted(stream, env) if enabled is None else enabled
        self.interval = interval
        self._text = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._frames = UNICODE_FRAMES if encodes(stream, UNICODE_FRAMES) else ASCII_FRAMES
        self._frame = 0
        self._drawn = False

    def __enter__(self) -> Progress:
        if self.enabled and self.stream is not None:
            self._thread = threading.Thread(target=self._spin, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def update(self, text: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            text = printable(" ".join(text.split()))
            if self._frames is ASCII_FRAMES:
                text = text.encode("ascii", "replace").decode("ascii")
            self._text = text
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            if self._drawn:
                self._write(_CLEAR_LINE)
                self._drawn = False

    def _spin(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._frame = (self._frame + 1) % len(self._frames)
                self._draw()

    def _draw(self) -> None:
        if self._stop.is_set() or not self._text:
            return
        line = f"{self._frames[self._frame]} {self._text}"
        self._write(_CLEAR_LINE + line[: self._width() - 1])
        self._drawn = True

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns  # type: ignore[union-attr]
        except (OSError, ValueError, AttributeError):
            return 80
        return columns if columns >= 20 else 80

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)  # type: ignore[union-attr]
            self.stream.flush()  # type: ignore[union-attr]
        except (OSError, ValueError):
            self.enabled = False  # the terminal went away; probing goes on regardless
