"""TOML parsing, with the standard library's parser or, before Python 3.11, tomli's."""

from __future__ import annotations

from typing import Any

try:
    import tomllib as _parser
except ModuleNotFoundError:  # Python < 3.11
    import tomli as _parser  # type: ignore[no-redef,unused-ignore]

TOMLDecodeError = _parser.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    return _parser.loads(text)
