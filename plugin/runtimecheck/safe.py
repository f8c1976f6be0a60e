"""Strings from outside (runtime output, store and node names, images, paths) made safe to
print on a terminal: control characters cannot move the cursor, retitle the window, clear
the screen or colour what follows, and bidirectional overrides cannot reorder a line.

The text and GitHub renderers, the progress line and every message on stderr go through
here; JSON and SARIF keep the strings as data (their encoders escape them).

On the build preflight's start-up path: no imports at module level.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _is_unsafe(ch: str) -> bool:
    code = ord(ch)
    return (
        code < 0x20
        or code == 0x7F
        or 0x80 <= code < 0xA0
        or 0x202A <= code <= 0x202E  # bidirectional embeddings and overrides
        or 0x2066 <= code <= 0x2069  # bidirectional isolates
    )


def printable(text: str) -> str:
    """`text` with every control character written out (`\\e`, `\\n`, `\\x07`, `\\u202e`)."""
    if text.isprintable():  # no control or format character at all
        return text
    out = []
    for ch in text:
        if not _is_unsafe(ch):
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def escaped(value: T) -> T:
    """A copy of a report value (dataclasses, lists, dicts) with every string printable."""
    import dataclasses

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return printable(item)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            changes = {f.name: walk(getattr(item, f.name)) for f in dataclasses.fields(item)}
            return dataclasses.replace(item, **changes)
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, tuple):
            return tuple(walk(x) for x in item)
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        return item

    return walk(value)
