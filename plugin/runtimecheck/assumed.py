"""A runtime declared by the user (`--assume-runtime NAME=VERSION`, `[assume-runtime]` in a
config file) for a builder whose runtime cannot be probed: the one rule that reads it."""

from __future__ import annotations

import re

from .errors import UsageError

_ASSUMED = re.compile(r"^([a-z][a-z0-9._-]*)=(v?\d[\w.+~-]*)$")
HOW_TO_DECLARE = (
    "declare the runtime the remote buildkitd runs with --assume-runtime NAME=VERSION "
    "(e.g. crun=1.14.4; `runc --version` / `crun --version` on the BuildKit host tells it)"
)


def parse_assumed(value: object) -> tuple[str, str]:
    """`crun=1.14.4` (spaces around `=` allowed) → ("crun", "1.14.4"); UsageError else."""
    name, _, version = value.partition("=") if isinstance(value, str) else ("", "", "")
    match = _ASSUMED.match(f"{name.strip()}={version.strip()}")
    if not match:
        raise UsageError(
            f"invalid runtime declaration {value!r}: expected NAME=VERSION (e.g. crun=1.14.4)",
            hint="the name as the runtime calls itself, the version it prints",
        )
    return match.group(1), match.group(2).lstrip("v")
