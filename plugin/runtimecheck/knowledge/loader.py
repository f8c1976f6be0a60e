"""Loading and validating the data files of metadata/ into a `Knowledge`.

A malformed entry is a KnowledgeError naming the file and the line of the offending key.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, Optional

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from runtimecheck import tomlfile
from runtimecheck.facts import (
    ACCEPTED,
    CGROUP_V1,
    CGROUP_V2,
    IGNORED,
    REJECTED,
    SEVERITY_BLOCK,
    SEVERITY_WARN,
)

from .base import Knowledge
from .model import (
    FILES,
    FIX_PLACEHOLDERS,
    PROBE_PLACEHOLDERS,
    PROBLEMS,
    RUNC_FROM_IMAGE,
    RUNC_FROM_STOCK_IMAGE,
    WHEN_ALWAYS,
    WHEN_NO_PIVOT,
    Consequence,
    EngineRow,
    FixSettings,
    FixTemplate,
    ImageRow,
    Invocation,
    KnowledgeError,
    Nested,
    Release,
    Runtime,
    Support,
    Where,
)
from .versions import in_range, parse_version

RECREATE_CHANGES = ("image", "oci_worker_binary")


def default_directory() -> Path:
    """runtimecheck/metadata when installed, else the checkout's metadata/."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "metadata"
    return packaged if packaged.is_dir() else package.parents[1] / "metadata"


def load(directory: Optional[Path] = None) -> Knowledge:
    """Load and validate the data files; the default directory is read once per process."""
    if directory is None:
        return _load_default()
    return _load(Path(directory))


@lru_cache(maxsize=1)
def _load_default() -> Knowledge:
    return _load(default_directory())


class _File:
    """One data file: its parsed tables, and where each entry sits in the raw text."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.raw = path.read_text(encoding="utf-8")
        except OSError as e:
            raise KnowledgeError(f"{path}: cannot read the data file: {e.strerror or e}") from e
        try:
            self.data = tomlfile.loads(self.raw)
        except tomlfile.TOMLDecodeError as e:
            line = getattr(e, "lineno", None)
            if line is None:
                found = re.search(r"at line (\d+)", str(e))
                line = int(found.group(1)) if found else 1
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
            raise KnowledgeError(f"{path}:{line}: invalid TOML: {message}") from e
        self.lines = self.raw.splitlines()

    def tables(self, name: str) -> list[dict[str, Any]]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.fail(self.header_line(name, 0), f"'{name}' must be a list of [[{name}]] tables")
        return value

    def header_line(self, name: str, index: int) -> int:
        """Line of the index-th `[[name]]` header (or `[name]`), 1-based."""
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(name) + r"\s*\]\]?\s*(#.*)?$")
        seen = 0
        for number, text in enumerate(self.lines, 1):
            if pattern.match(text):
                if seen == index:
                    return number
                seen += 1
        return 1

    def key_line(self, name: str, index: int, key: str) -> int:
        """Line of `key = …` inside the index-th `[[name]]` entry, else the header's."""
        start = self.header_line(name, index)
        key_pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if text.lstrip().startswith("["):
                break
            if key_pattern.match(text):
                return number
        return start

    def where(self, name: str, index: int) -> Where:
        return Where(str(self.path), self.header_line(name, index))

    def fail(self, line: int, message: str) -> NoReturn:
        raise KnowledgeError(f"{self.path}:{line}: {message}")


class _Entry:
    """Typed access to one table, failing with the file and line of the offending key."""

    def __init__(self, file: _File, table: str, index: int, data: dict[str, Any]):
        self.file, self.table, self.index, self.data = file, table, index, data
        self.where = file.where(table, index)

    def fail(self, key: Optional[str], message: str) -> NoReturn:
        line = self.file.key_line(self.table, self.index, key) if key else self.where.line
        self.file.fail(line, f"[[{self.table}]] {message}")

    def text(self, key: str, *, default: Optional[str] = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.fail(key if key in self.data else None, f"needs '{key}' as a non-empty string")
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"'{key}' must be true or false")
        return bool(value)

    def strings(self, key: str, allowed: Optional[tuple[str, ...]] = None) -> tuple[str, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.fail(key if key in self.data else None, f"needs '{key}' as a list of strings")
        for item in value:
            if allowed is not None and item not in allowed:
                self.fail(key, f"'{key}': unknown value {item!r} (expected one of {allowed})")
        return tuple(value)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            self.fail(key, f"'{key}' = {value!r}: expected one of {allowed}")
        return value

    def specifiers(self, key: str, *, may_be_empty: bool = False) -> SpecifierSet:
        value = self.text(key, default="" if may_be_empty else None)
        try:
            return SpecifierSet(value)
        except InvalidSpecifier:
            self.fail(key, f"'{key}' = {value!r} is not a version range (e.g. \">=1.1.0,<1.2\")")

    def compiled(self, key: str, pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as err:
            self.fail(key, f"'{key}': {pattern!r} is not a regular expression: {err}")

    def pattern(self, key: str) -> re.Pattern[str]:
        return self.compiled(key, self.text(key))

    def version(self, key: str) -> Version:
        value = self.text(key)
        parsed = parse_version(value)
        if parsed is None:
            self.fail(key, f"'{key}' = {value!r} is not a version")
        return parsed

    def source(self) -> str:
        return self.text("source")

    def no_unknown_keys(self, known: set[str]) -> None:
        for key in self.data:
            if key not in known:
                self.fail(key, f"unknown key '{key}'")


def _entries(file: _File, table: str) -> list[_Entry]:
    return [_Entry(file, table, i, t) for i, t in enumerate(file.tables(table))]


def _load(directory: Path) -> Knowledge:
    if not directory.is_dir():
        raise KnowledgeError(f"{directory}: the metadata directory does not exist")
    files = {name: _File(directory / name) for name in FILES}
    invocations = _invocations(files["buildkit.toml"])
    consequences = _consequences(files["buildkit.toml"], invocations)
    releases = _releases(files["buildkit.toml"])
    runtimes = _runtimes(files["runtimes.toml"])
    support = _support(files["runtimes.toml"], invocations, runtimes)
    engines = _engines(files["engines.toml"], invocations)
    images = _images(files["images.toml"])
    settings, fixes = _fixes(files["fixes.toml"])
    nested = _nested(files["fixes.toml"])
    return Knowledge(
        directory=directory,
        invocation_list=tuple(invocations),
        releases=tuple(releases),
        runtimes=tuple(runtimes),
        support_rows=tuple(support),
        engines=tuple(engines),
        images=tuple(images),
        fix_settings=settings,
        fixes=tuple(fixes),
        consequences=tuple(consequences),
        nested=tuple(nested),
    )


def _invocations(file: _File) -> list[Invocation]:
    result: list[Invocation] = []
    seen: dict[str, Where] = {}
    for e in _entries(file, "invocation"):
        e.no_unknown_keys(
            {"id", "display", "buildkit", "when", "severity", "fails", "probe", "source"}
        )
        ident = e.text("id")
        if ident in seen:
            e.fail("id", f"id {ident!r} is already used at line {seen[ident].line}")
        seen[ident] = e.where
        probe = e.strings("probe")
        for arg in probe:
            for _, field_name, _, _ in string.Formatter().parse(arg):
                if field_name is not None and field_name not in PROBE_PLACEHOLDERS:
                    e.fail("probe", f"probe of {ident!r}: unknown placeholder {{{field_name}}}")
        if "{id}" not in probe:
            e.fail("probe", f"probe of {ident!r} must name the container: {{id}}")
        result.append(
            Invocation(
                id=ident,
                display=e.text("display"),
                buildkit=e.specifiers("buildkit"),
                buildkit_text=e.text("buildkit"),
                when=e.choice("when", (WHEN_ALWAYS, WHEN_NO_PIVOT)),
                severity=e.choice("severity", (SEVERITY_BLOCK, SEVERITY_WARN)),
                fails=e.text("fails"),
                probe=probe,
                source=e.source(),
                where=e.where,
            )
        )
    if not result:
        file.fail(1, "no [[invocation]] entries")
    return result


_SEVERITY_RANK = {SEVERITY_WARN: 0, SEVERITY_BLOCK: 1}


def _consequences(file: _File, invocations: list[Invocation]) -> list[Consequence]:
    by_id = {i.id: i for i in invocations}
    result: list[Consequence] = []
    for e in _entries(file, "consequence"):
        e.no_unknown_keys({"invocation", "cgroup", "rootless", "severity", "fails", "source"})
        invocation = by_id.get(e.text("invocation"))
        if invocation is None:
            e.fail("invocation", f"unknown invocation {e.text('invocation')!r}")
        conditions: list[tuple[str, object]] = []
        if "cgroup" in e.data:
            conditions.append(("cgroup", e.choice("cgroup", (CGROUP_V1, CGROUP_V2))))
        if "rootless" in e.data:
            conditions.append(("rootless", e.flag("rootless")))
        if not conditions:
            e.fail(None, "names no condition (cgroup, rootless)")
        severity = e.choice("severity", (SEVERITY_BLOCK, SEVERITY_WARN))
        if _SEVERITY_RANK[severity] > _SEVERITY_RANK[invocation.severity]:
            # The invocation's own outcome is what holds where a condition is unknown.
            e.fail(
                "severity",
                f"{severity!r} is stricter than {invocation.id}'s own {invocation.severity!r}, "
                "which must be the stricter outcome",
            )
        for other in result:
            if other.invocation == invocation.id and other.conditions == tuple(conditions):
                e.fail(None, f"the same conditions as the row at line {other.where.line}")
        result.append(
            Consequence(
                invocation=invocation.id,
                conditions=tuple(conditions),
                severity=severity,
                fails=e.text("fails"),
                source=e.source(),
                where=e.where,
            )
        )
    return result


def _releases(file: _File) -> list[Release]:
    result: list[Release] = []
    for e in _entries(file, "release"):
        e.no_unknown_keys({"version", "source"})
        parsed = e.version("version")
        for other in result:
            if other.parsed == parsed:
                e.fail("version", f"release {parsed} is already listed at line {other.where.line}")
        result.append(Release(e.text("version"), parsed, e.source(), e.where))
    if not result:
        file.fail(1, "no [[release]] entries: the newest BuildKit must be known")
    return result


def _runtimes(file: _File) -> list[Runtime]:
    result: list[Runtime] = []
    for e in _entries(file, "runtime"):
        e.no_unknown_keys(
            {
                "name",
                "flags_of",
                "wrapper",
                "source",
                "version_line",
                "version_later",
                "feature_tag",
                "binaries",
            }
        )
        name = e.text("name")
        if any(r.name == name for r in result):
            e.fail("name", f"runtime {name!r} is listed twice")
        flags_of = e.data.get("flags_of")
        if flags_of is not None:
            flags_of = e.text("flags_of")
        lines = e.strings("version_line") if "version_line" in e.data else ()
        later = e.pattern("version_later") if "version_later" in e.data else None
        tag = e.text("feature_tag") if "feature_tag" in e.data else None
        if (later or tag) and not lines:
            e.fail("version_line", f"runtime {name!r}: needs 'version_line' to be recognised")
        result.append(
            Runtime(
                name,
                flags_of,
                e.flag("wrapper"),
                e.source(),
                e.where,
                version_line=tuple(e.compiled("version_line", p) for p in lines),
                version_later=later,
                feature_tag=tag,
                binaries=e.strings("binaries") if "binaries" in e.data else (),
            )
        )
    names = {r.name for r in result}
    for r in result:
        if r.flags_of is not None and r.flags_of not in names:
            file.fail(r.where.line, f"runtime {r.name!r}: flags_of names unknown {r.flags_of!r}")
    return result


def _support(file: _File, invocations: list[Invocation], runtimes: list[Runtime]) -> list[Support]:
    known_invocations = tuple(i.id for i in invocations)
    owners = {r.name: r for r in runtimes}
    result: list[Support] = []
    for e in _entries(file, "support"):
        e.no_unknown_keys(
            {"runtime", "invocations", "versions", "status", "note", "fails_as", "source"}
        )
        name = e.text("runtime")
        owner = owners.get(name)
        if owner is None:
            e.fail("runtime", f"unknown runtime {name!r}: add a [[runtime]] entry first")
        if owner.flags_of or owner.wrapper:
            e.fail("runtime", f"{name!r} borrows its support from another runtime: no rows")
        versions = e.specifiers("versions", may_be_empty=True)
        status = e.choice("status", (ACCEPTED, REJECTED, IGNORED))
        fails_as = None
        if "fails_as" in e.data:
            fails_as = e.choice("fails_as", known_invocations)
            if status != IGNORED:
                e.fail("fails_as", "'fails_as' is for an option that is accepted, not honoured")
        if status == IGNORED and not e.data.get("note"):
            e.fail("note", "an option accepted and not honoured needs a note that says how")
        for ident in e.strings("invocations", known_invocations):
            row = Support(
                runtime=name,
                invocation=ident,
                versions=versions,
                versions_text=str(e.data.get("versions", "")),
                status=status,
                note=e.text("note", default=""),
                source=e.source(),
                where=e.where,
                fails_as=fails_as,
            )
            for other in result:
                if (other.runtime, other.invocation) == (name, ident) and _overlap(
                    other.versions, versions
                ):
                    kind = "contradicts" if other.status != status else "overlaps"
                    e.fail(
                        "versions",
                        f"{name} {ident}: {row.versions_text!r} ({status}) {kind} "
                        f"{other.versions_text!r} ({other.status}) at line {other.where.line}",
                    )
            result.append(row)
    return result


def _engines(file: _File, invocations: list[Invocation]) -> list[EngineRow]:
    result: list[EngineRow] = []
    for e in _entries(file, "engine"):
        e.no_unknown_keys({"engine", "buildkit", "exact", "source"})
        row = EngineRow(
            engine=e.specifiers("engine"),
            engine_text=e.text("engine"),
            buildkit=e.text("buildkit"),
            exact=e.flag("exact", default=True),
            source=e.source(),
            where=e.where,
        )
        lowest = e.version("buildkit")
        if not row.exact:
            _one_minor_sends_the_same(e, lowest, invocations)
        _no_overlap(
            e,
            "engine",
            row.engine,
            row.engine_text,
            [(r.engine, r.engine_text, r.where) for r in result],
        )
        result.append(row)
    return result


def _one_minor_sends_the_same(e: _Entry, lowest: Version, invocations: list[Invocation]) -> None:
    """A row that stands for several BuildKit releases (exact = false) is shown as their
    minor (v0.25.x) and judged as the lowest it names: sound only while every later patch
    release of that minor sends what the lowest does. Upstream did once change at a patch
    release (run --no-pivot from v0.5.1), so this is checked, not assumed."""
    following = Version(f"{lowest.major}.{lowest.minor + 1}")
    for invocation in invocations:
        for spec in invocation.buildkit:
            bound = Version(spec.version)
            if lowest < bound < following:
                e.fail(
                    "exact",
                    f"exact = false judges {e.data['buildkit']} for every release of "
                    f"v{lowest.major}.{lowest.minor}.x, but {invocation.id} changes at "
                    f"{spec}: name each release in a row of its own",
                )


def _images(file: _File) -> list[ImageRow]:
    result: list[ImageRow] = []
    for e in _entries(file, "image"):
        e.no_unknown_keys({"tags", "runc", "source"})
        row = ImageRow(e.specifiers("tags"), e.text("tags"), e.text("runc"), e.source(), e.where)
        e.version("runc")
        _no_overlap(
            e, "tags", row.tags, row.tags_text, [(r.tags, r.tags_text, r.where) for r in result]
        )
        result.append(row)
    return result


def _fixes(file: _File) -> tuple[FixSettings, list[FixTemplate]]:
    settings_table = file.data.get("settings")
    if not isinstance(settings_table, dict):
        file.fail(1, "needs a [settings] table (stock_image, pin_image, pin_buildkit, source)")
    s = _Entry(file, "settings", 0, settings_table)
    s.no_unknown_keys({"stock_image", "pin_image", "pin_buildkit", "source"})
    s.version("pin_buildkit")
    settings = FixSettings(
        s.text("stock_image"), s.text("pin_image"), s.text("pin_buildkit"), s.source()
    )
    result: list[FixTemplate] = []
    for e in _entries(file, "fix"):
        e.no_unknown_keys(
            {
                "id",
                "problems",
                "drivers",
                "text",
                "override",
                "image",
                "engine",
                "pin_helps",
                "recreate",
                "runc_from",
                "source",
            }
        )
        ident = e.text("id")
        if any(f.id == ident for f in result):
            e.fail("id", f"fix id {ident!r} is used twice")
        text = e.text("text")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as err:
            e.fail("text", f"fix {ident!r}: malformed placeholder: {err}")
        unknown = sorted(fields - FIX_PLACEHOLDERS)
        if unknown:
            e.fail("text", f"fix {ident!r}: unknown placeholder(s) {', '.join(unknown)}")
        override = e.data.get("override")
        if override is not None:
            override = e.choice("override", ("set", "unset"))
        engine = e.specifiers("engine") if "engine" in e.data else None
        image = e.choice("image", ("stock", "other")) if "image" in e.data else None
        recreate = e.data.get("recreate", {})
        if not isinstance(recreate, dict) or not all(
            k in RECREATE_CHANGES and isinstance(v, str) for k, v in recreate.items()
        ):
            e.fail("recreate", f"'recreate' must set some of {RECREATE_CHANGES} to strings")
        if bool(recreate) != ("{recreate}" in text):
            e.fail("text", f"fix {ident!r}: {{recreate}} and a 'recreate' table go together")
        result.append(
            FixTemplate(
                id=ident,
                problems=e.strings("problems", PROBLEMS),
                drivers=e.strings("drivers"),
                text=text,
                override=override,
                engine=engine,
                pin_helps=e.flag("pin_helps"),
                source=e.source(),
                where=e.where,
                image=image,
                recreate=tuple(sorted(recreate.items())),
                runc_from=(
                    e.choice("runc_from", (RUNC_FROM_STOCK_IMAGE, RUNC_FROM_IMAGE))
                    if "runc_from" in e.data
                    else None
                ),
            )
        )
    return settings, result


def _nested(file: _File) -> list[Nested]:
    result: list[Nested] = []
    for e in _entries(file, "nested"):
        e.no_unknown_keys({"outer", "outer_versions", "runc", "note", "fixed_in", "source"})
        fixed_in = e.text("fixed_in") if "fixed_in" in e.data else None
        if fixed_in is not None:
            e.version("fixed_in")
        result.append(
            Nested(
                outer=e.text("outer"),
                outer_versions=e.specifiers("outer_versions", may_be_empty=True),
                outer_versions_text=str(e.data.get("outer_versions", "")),
                runc=e.specifiers("runc"),
                runc_text=e.text("runc"),
                note=e.text("note"),
                fixed_in=fixed_in,
                source=e.source(),
                where=e.where,
            )
        )
    return result


def _no_overlap(
    e: _Entry,
    key: str,
    spec: SpecifierSet,
    text: str,
    others: list[tuple[SpecifierSet, str, Where]],
) -> None:
    for other_spec, other_text, where in others:
        if _overlap(spec, other_spec):
            e.fail(key, f"{key} {text!r} overlaps {other_text!r} at line {where.line}")


def _overlap(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Whether some version lies in both ranges.

    Two ranges built from comparisons meet, if at all, at one of their boundaries, just above
    one (an open lower bound), below all of them, or above all of them; those are the
    candidates tried.
    """
    bounds = sorted({Version(s.version.rstrip(".*")) for s in (*a, *b)})
    candidates = [Version("0")]
    for bound in bounds:
        candidates.append(bound)
        candidates.append(_just_above(bound))
    return any(in_range(v, a) and in_range(v, b) for v in candidates)


def _just_above(version: Version) -> Version:
    release = (*version.release, 0, 0, 0, 0, 1)
    return Version(".".join(str(n) for n in release))
