"""The entries of the knowledge base, as the data files of metadata/ describe them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from runtimecheck.errors import RuntimecheckError

from .versions import in_range

FILES = ("buildkit.toml", "runtimes.toml", "engines.toml", "images.toml", "fixes.toml")
WHEN_ALWAYS = "always"
WHEN_NO_PIVOT = "no_pivot"
PROBLEM_TOO_OLD = "too-old"
PROBLEM_UNSUPPORTED = "unsupported"
PROBLEMS = (PROBLEM_TOO_OLD, PROBLEM_UNSUPPORTED)
PROBE_PLACEHOLDERS = frozenset({"root", "bundle", "id", "file", "log"})
# Where a fix's runc comes from (FixTemplate.runc_from): the stock image's, or the one the
# node's own image bundles.
RUNC_FROM_STOCK_IMAGE = "stock_image"
RUNC_FROM_IMAGE = "image"
FIX_PLACEHOLDERS = frozenset(
    {
        "builder",
        "node",
        "image",
        "binary_override",
        "engine_version",
        "runtime",
        "runtime_version",
        "accepts",
        "path",
        "invocation",
        "fixed_in",
        "runc_min",
        "stock_image",
        "pin_image",
        "pin_buildkit",
        "override_flags",
        "recreate",
    }
)


class KnowledgeError(RuntimecheckError):
    """A data file of metadata/ is malformed or contradicts itself."""


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Invocation:
    id: str
    display: str
    buildkit: SpecifierSet
    buildkit_text: str
    when: str  # WHEN_ALWAYS / WHEN_NO_PIVOT
    severity: str
    fails: str
    probe: tuple[str, ...]
    source: str
    where: Where

    def sent_by(self, buildkit: Version, no_pivot: bool = False) -> bool:
        if self.when == WHEN_NO_PIVOT and not no_pivot:
            return False
        return in_range(buildkit, self.buildkit)


@dataclass(frozen=True)
class Consequence:
    """What a failing invocation costs where BuildKit runs under these conditions."""

    invocation: str
    conditions: tuple[tuple[str, object], ...]  # ("cgroup", "v2"), ("rootless", False)
    severity: str
    fails: str
    source: str
    where: Where

    def matches(self, known: dict[str, object]) -> bool:
        """Every condition is known and equal (an unknown one never matches)."""
        return all(known.get(key) is not None and known[key] == v for key, v in self.conditions)

    def could_match(self, known: dict[str, object]) -> bool:
        """No known condition contradicts it: it might hold, were the unknown ones learnt."""
        return all(known.get(key) is None or known[key] == v for key, v in self.conditions)

    def describe(self) -> str:
        """`cgroup v2, not rootless`."""
        words = []
        for key, value in self.conditions:
            if key == "cgroup":
                words.append(f"cgroup {value}")
            elif key == "rootless":
                words.append("rootless" if value else "not rootless")
        return ", ".join(words)


@dataclass(frozen=True)
class Release:
    version: str
    parsed: Version
    source: str
    where: Where


@dataclass(frozen=True)
class Runtime:
    name: str
    flags_of: Optional[str]
    wrapper: bool
    source: str
    where: Where
    version_line: tuple[re.Pattern[str], ...] = ()
    version_later: Optional[re.Pattern[str]] = None
    feature_tag: Optional[str] = None
    binaries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Support:
    runtime: str
    invocation: str
    versions: SpecifierSet
    versions_text: str
    status: str  # ACCEPTED / REJECTED / IGNORED
    note: str
    source: str
    where: Where
    fails_as: Optional[str] = None  # an invocation id: not honouring this costs what it costs

    def lower_bound(self) -> Optional[Version]:
        """The lowest version the row admits, when it has one."""
        bounds = [Version(s.version) for s in self.versions if s.operator in (">=", "==", "~=")]
        return min(bounds) if bounds else None


@dataclass(frozen=True)
class EngineRow:
    engine: SpecifierSet
    engine_text: str
    buildkit: str
    exact: bool
    source: str
    where: Where


@dataclass(frozen=True)
class ImageRow:
    tags: SpecifierSet
    tags_text: str
    runc: str
    source: str
    where: Where

    def newest_tag(self) -> Optional[str]:
        """The last tag the row names (`==0.16.0`, `<=0.17.3`), as `v0.17.3`."""
        bounds = [Version(s.version) for s in self.tags if s.operator in ("==", "<=")]
        return f"v{max(bounds)}" if bounds else None


@dataclass(frozen=True)
class Nested:
    """A runc that cannot run inside a container running under another runtime."""

    outer: str  # the runtime the builder container runs under, e.g. "sysbox-runc"
    outer_versions: SpecifierSet
    outer_versions_text: str
    runc: SpecifierSet  # inner runc versions that fail there
    runc_text: str
    note: str
    fixed_in: Optional[str]  # the outer runtime's release that fixes it
    source: str
    where: Where


@dataclass(frozen=True)
class FixTemplate:
    id: str
    problems: tuple[str, ...]
    drivers: tuple[str, ...]
    text: str
    override: Optional[str]  # "set" / "unset" / None: either
    engine: Optional[SpecifierSet]
    pin_helps: bool
    source: str
    where: Where
    runc_from: Optional[str] = None  # RUNC_FROM_*: the image whose bundled runc it brings in
    image: Optional[str] = None  # "stock" / "other" / None: either (the node's image)
    recreate: tuple[tuple[str, str], ...] = ()  # the one change {recreate} makes


@dataclass(frozen=True)
class FixSettings:
    stock_image: str
    pin_image: str
    pin_buildkit: str
    source: str
