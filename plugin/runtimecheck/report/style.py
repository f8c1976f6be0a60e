"""Marks and colour for the text report: what a stream can show, and whether it wants colour.

Plain strings with ANSI codes: this runs on the build preflight's fast path, where nothing
heavier than the standard library may be imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, Optional

from runtimecheck.facts import BLOCK, PASS, VERDICT_UNKNOWN, WARN

UNICODE_MARKS = {PASS: "✓", WARN: "!", BLOCK: "✗", VERDICT_UNKNOWN: "?"}
ASCII_MARKS = {PASS: "+", WARN: "!", BLOCK: "x", VERDICT_UNKNOWN: "?"}

_RESET = "\x1b[0m"
_CODES = {
    PASS: "32",  # green
    WARN: "33",  # yellow
    BLOCK: "1;31",  # bold red
    VERDICT_UNKNOWN: "35",  # magenta
    "bold": "1",
    "dim": "2",
}


def color_wanted(stream: Optional[IO[Any]], env: Optional[Mapping[str, str]] = None) -> bool:
    """Colour on a terminal; never with NO_COLOR (any non-empty value) or TERM=dumb; always
    with FORCE_COLOR (non-empty, not "0"), for CI logs that render ANSI. NO_COLOR wins."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


def encodes(stream: Optional[IO[Any]], text: str) -> bool:
    """Whether the stream's encoding can write `text` (an ASCII-only stdout under LANG=C cannot)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@dataclass(frozen=True)
class Style:
    color: bool = False
    unicode: bool = True

    def mark(self, verdict: str) -> str:
        marks = UNICODE_MARKS if self.unicode else ASCII_MARKS
        return self.paint(marks.get(verdict, marks[VERDICT_UNKNOWN]), verdict)

    def paint(self, text: str, role: str) -> str:
        code = _CODES.get(role)
        if not self.color or not code or not text:
            return text
        return f"\x1b[{code}m{text}{_RESET}"

    def text(self, value: str) -> str:
        """`value` made writable: characters the stream cannot encode become '?'."""
        if self.unicode:
            return value
        return value.encode("ascii", "replace").decode("ascii")


def style_for(
    stream: Optional[IO[Any]] = None,
    *,
    color: Optional[bool] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Style:
    """The style for writing to `stream`; `color` decides colour when given."""
    return Style(
        color=color_wanted(stream, env) if color is None else color,
        unicode=encodes(stream, "".join(UNICODE_MARKS.values())),
    )
