"""json.loads without importing the json package.

`import json` pulls in `re` and `enum` (about 6 ms), more than the whole budget of the build
preflight's warm path. This drives CPython's own C scanner (the one json.loads uses) directly
and falls back to the json package where that scanner is missing.
"""

from __future__ import annotations

_WHITESPACE = " \t\n\r"
_scan = None


class _Context:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


class JSONError(ValueError):
    pass


def loads(text: str | bytes) -> object:
    """Parse one JSON document; raises JSONError (a ValueError) when it is not valid JSON."""
    global _scan
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _scan is None:
        try:
            import _json

            _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]
        except (ImportError, AttributeError):
            return _slow_loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except Exception:
        # Invalid input: let the json package produce its precise message.
        return _slow_loads(text)
    if text[end:].strip(_WHITESPACE):
        return _slow_loads(text)
    return value


def _slow_loads(text: str) -> object:
    import json

    try:
        return json.loads(text)
    except ValueError as e:
        raise JSONError(str(e)) from None
