"""Who a runtime binary is, from what it prints for `--version` (never from its file name).

A crun renamed or symlinked to `runc` or `buildkit-runc` still prints `crun version …`, and
that is the case this tool exists for. Pure: text in, `RuntimeIdentity` out.
"""

from __future__ import annotations

import re
from typing import Optional

from runtimecheck.facts import RuntimeIdentity

NVIDIA_WRAPPER = "nvidia-container-runtime"

# First line of each runtime's own --version block.
_FIRST_LINES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("runc", re.compile(r"^runc version\s+(\S+)")),
    ("crun", re.compile(r"^crun version\s+(\S+)")),
    ("crun", re.compile(r"^crun\s+(\d\S*)$")),  # up to crun 0.9: PACKAGE_STRING
    ("youki", re.compile(r"^youki version:?\s+(\S+)")),  # the colon appears in 0.5.6
    ("runsc", re.compile(r"^runsc version\s+(\S+)")),
)
_SYSBOX_FIRST_LINE = "sysbox-runc"
_SYSBOX_VERSION = re.compile(r"^\s*version:\s*(\S+)")
_NVIDIA_FIRST_LINE = re.compile(r"^NVIDIA Container Runtime version\b")


def parse_version_output(text: str) -> RuntimeIdentity:
    lines = [line.strip() for line in text.splitlines()]
    first = _first_nonempty(lines)
    if first is not None and _NVIDIA_FIRST_LINE.match(lines[first]):
        # The wrapper prints its own block, then execs the wrapped runtime with --version.
        wrapped = next(
            (_parse_lines(lines[i:]) for i in range(first + 1, len(lines)) if _is_head(lines[i])),
            RuntimeIdentity(name=None, version=None),
        )
        return RuntimeIdentity(
            name=wrapped.name,
            version=wrapped.version,
            raw=text,
            wrapper=NVIDIA_WRAPPER,
            features_tags=wrapped.features_tags,
        )
    identity = _parse_lines(lines)
    identity.raw = text
    return identity


def _parse_lines(lines: list[str]) -> RuntimeIdentity:
    first = _first_nonempty(lines)
    if first is None:
        return RuntimeIdentity(name=None, version=None)
    head, rest = lines[first], lines[first + 1 :]
    if head == _SYSBOX_FIRST_LINE:
        version = next((m.group(1) for m in map(_SYSBOX_VERSION.match, rest) if m), None)
        return RuntimeIdentity(name="sysbox-runc", version=_version(version))
    for name, pattern in _FIRST_LINES:
        m = pattern.match(head)
        if m:
            tags = _feature_tags(rest) if name == "crun" else ()
            if "+LIBKRUN" in tags:
                name = "krun"  # the crun binary built with libkrun
            return RuntimeIdentity(name=name, version=_version(m.group(1)), features_tags=tags)
    return RuntimeIdentity(name=None, version=None)


def _feature_tags(lines: list[str]) -> tuple[str, ...]:
    """crun's `+SYSTEMD +SELINUX … +LIBKRUN …` line."""
    for line in lines:
        if line.startswith("+"):
            return tuple(t for t in line.split() if t.startswith("+"))
    return ()


def _version(word: Optional[str]) -> Optional[str]:
    # A build without version stamping prints a template, e.g. runsc's "{VERSION}".
    if word is None or not re.search(r"\d", word) or "{" in word:
        return None
    return word


def _first_nonempty(lines: list[str]) -> Optional[int]:
    return next((i for i, line in enumerate(lines) if line), None)


def _is_head(line: str) -> bool:
    return line == _SYSBOX_FIRST_LINE or any(p.match(line) for _, p in _FIRST_LINES)
