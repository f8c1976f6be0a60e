"""Who a runtime binary is, from what it prints for `--version` (never from its file name).

A crun renamed or symlinked to `runc` or `buildkit-runc` still prints `crun version …`, and
that is the case this tool exists for. How each runtime introduces itself is data
(`version_line`, `version_later`, `feature_tag` and `wrapper` in metadata/runtimes.toml).
Pure: text and the known runtimes in, `RuntimeIdentity` out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

from runtimecheck.facts import RuntimeIdentity
from runtimecheck.knowledge import Runtime


def identities(runtimes: Optional[Sequence[Runtime]] = None) -> Sequence[Runtime]:
    """`runtimes`, or the packaged knowledge's when None."""
    if runtimes is not None:
        return runtimes
    from runtimecheck import knowledge

    return knowledge.load().identities()


def parse_version_output(
    text: str, runtimes: Optional[Sequence[Runtime]] = None
) -> RuntimeIdentity:
    """The identity in a `--version` output; `runtimes` as `Knowledge.identities()` gives
    them (by default the packaged knowledge's)."""
    runtimes = identities(runtimes)
    lines = [line.strip() for line in text.splitlines()]
    first = _first_nonempty(lines)
    wrapper = _recognise(lines[first], (), runtimes) if first is not None else None
    if wrapper is not None and wrapper.wrapper:
        # The wrapper prints its own block, then runs the wrapped runtime with --version.
        inner = next(
            (
                _parse_lines(lines[i:], runtimes)
                for i in range((first or 0) + 1, len(lines))
                if _recognise(lines[i], (), runtimes, wrappers=False) is not None
            ),
            RuntimeIdentity(name=None, version=None),
        )
        return RuntimeIdentity(
            name=inner.name,
            version=inner.version,
            raw=text,
            wrapper=wrapper.name,
            features_tags=inner.features_tags,
        )
    identity = _parse_lines(lines, runtimes)
    identity.raw = text
    return identity


def _parse_lines(lines: list[str], runtimes: Sequence[Runtime]) -> RuntimeIdentity:
    first = _first_nonempty(lines)
    if first is None:
        return RuntimeIdentity(name=None, version=None)
    head, rest = lines[first], lines[first + 1 :]
    tags = _feature_tags(rest)
    runtime = _recognise(head, tags, runtimes, wrappers=False)
    if runtime is None:
        return RuntimeIdentity(name=None, version=None)
    if runtime.version_later is not None:
        later = runtime.version_later
        word = next((m.group(1) for m in map(later.match, rest) if m and m.groups()), None)
    else:
        found = [m for m in map(lambda p: p.match(head), runtime.version_line) if m]
        word = found[0].group(1) if found and found[0].groups() else None
    return RuntimeIdentity(name=runtime.name, version=_version(word), features_tags=tags)


def _recognise(
    line: str, tags: Sequence[str], runtimes: Sequence[Runtime], *, wrappers: bool = True
) -> Optional[Runtime]:
    for runtime in runtimes:
        if runtime.wrapper and not wrappers:
            continue
        if runtime.feature_tag is not None and runtime.feature_tag not in tags:
            continue
        if any(p.match(line) for p in runtime.version_line):
            return runtime
    return None


def _feature_tags(lines: list[str]) -> tuple[str, ...]:
    """crun's `+SYSTEMD +SELINUX … +LIBKRUN …` line."""
    for line in lines:
        if line.startswith("+"):
            return tuple(t for t in line.split() if t.startswith("+"))
    return ()


def _version(word: Optional[str]) -> Optional[str]:
    # A build without version stamping prints a template, e.g. runsc's "{VERSION}", or
    # "unknown" (runc 1.0–1.2 as BuildKit's images build it).
    if word is None or not re.search(r"\d", word) or "{" in word:
        return None
    return word


def _first_nonempty(lines: list[str]) -> Optional[int]:
    return next((i for i, line in enumerate(lines) if line), None)
