"""Turning an invocation template from the knowledge base into a harmless argv.

Templates name their variable parts `{root}`, `{bundle}`, `{id}`, `{file}` and `{log}`; they
are replaced inside each argument, never by building a shell string.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence


def new_container_id() -> str:
    """A container id no real container has."""
    return "runtimecheck-probe-" + secrets.token_hex(8)


def with_private_root(template: Sequence[str]) -> tuple[str, ...]:
    """The template with a global `--root {root}` in front unless it already names one.

    Without it the runtime would read (and for some commands create) state under its real
    state directory, e.g. /run/runc; the probe must never see or touch that.
    """
    if any(a == "--root" or a.startswith("--root=") for a in template):
        return tuple(template)
    return ("--root", "{root}", *template)


def fill(template: Sequence[str], values: Mapping[str, str]) -> tuple[str, ...]:
    """Each `{name}` of `values` replaced in every argument; anything else kept verbatim."""

    # One pass, so a value that itself contains "{id}" (a TMPDIR can) is never re-expanded.
    def replace(m: re.Match[str]) -> str:
        return values.get(m.group(1), m.group(0))

    return tuple(_PLACEHOLDER.sub(replace, arg) for arg in template)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
