"""The knowledge base: what BuildKit sends, what each runtime accepts, and the fixes.

All of it lives in the TOML files of `metadata/`; this module loads and validates them and
answers questions about them. It reads nothing but those files.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, Optional

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .errors import RuntimecheckError
from .facts import ACCEPTED, IGNORED, REJECTED, SEVERITY_BLOCK, SEVERITY_WARN

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

FILES = ("buildkit.toml", "runtimes.toml", "engines.toml", "images.toml", "fixes.toml")
WHEN_ALWAYS = "always"
WHEN_NO_PIVOT = "no_pivot"
PROBLEM_TOO_OLD = "too-old"
PROBLEM_UNSUPPORTED = "unsupported"
PROBLEM_UNKNOWN = "unknown"
PROBLEMS = (PROBLEM_TOO_OLD, PROBLEM_UNSUPPORTED, PROBLEM_UNKNOWN)
DRIVERS = ("docker", "docker-container", "kubernetes", "remote", "host")
PROBE_PLACEHOLDERS = frozenset({"root", "bundle", "id", "file", "log"})
FIX_PLACEHOLDERS = frozenset(
    {
        "builder",
        "node",
        "image",
        "binary_override",
        "engine_version",
        "runtime",
        "runtime_version",
        "path",
        "invocation",
        "fixed_in",
        "runc_min",
        "stock_image",
        "pin_image",
        "pin_buildkit",
        "override_flags",
    }
)


class KnowledgeError(RuntimecheckError):
    """A data file of metadata/ is malformed or contradicts itself."""


# --- versions -----------------------------------------------------------------------------

_RUNSC_RELEASE = re.compile(r"^release-(\d{8})(?:\.(\d+))?$")
_LEADING_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)")


def parse_version(text: Optional[str]) -> Optional[Version]:
    """A comparable version from what a binary or tag prints, or None when hopeless.

    `v0.13.0-beta3` is a pre-release of 0.13.0; `1.1.5+ds1` is 1.1.5 with a local label;
    crun's dev build `1.4.5.0.0.0.25-7077` sorts after 1.4.5 and before 1.4.6; runsc's
    `release-20240513.0` compares by date; a distribution suffix such as `1.1.12-0ubuntu1`
    keeps its leading release. `0.0.0-dev` (a build from a main branch) and `unknown` say
    nothing about what the binary supports, so they give None.
    """
    if not text:
        return None
    s = text.strip()
    if s[:1] in ("v", "V") and s[1:2].isdigit():
        s = s[1:]
    runsc = _RUNSC_RELEASE.match(s)
    if runsc:
        s = f"{runsc.group(1)}.{runsc.group(2) or 0}"
    try:
        version = Version(s)
    except InvalidVersion:
        leading = _LEADING_RELEASE.match(s)
        if not leading:
            return None
        version = Version(leading.group(1))
    if not any(version.release):
        return None
    return version


def in_range(version: Version, spec: SpecifierSet) -> bool:
    return spec.contains(version, prereleases=True)


def describe_match(version_text: str, spec_text: str) -> str:
    """`1.8.1 < 1.15`, `0.5.2 in >=0.2.0`, `1.4 (every version)`."""
    parts = [p.strip() for p in spec_text.split(",") if p.strip()]
    if not parts:
        return f"{version_text} (every version)"
    if len(parts) == 1:
        op = re.match(r"^(~=|==|!=|<=|>=|<|>)", parts[0])
        if op:
            return f"{version_text} {op.group(1)} {parts[0][len(op.group(1)) :].strip()}"
    return f"{version_text} in {spec_text}"


# --- entries ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class FixSettings:
    stock_image: str
    pin_image: str
    pin_buildkit: str
    source: str


# --- the knowledge base -------------------------------------------------------------------


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    invocation_list: tuple[Invocation, ...]
    releases: tuple[Release, ...]
    runtimes: tuple[Runtime, ...]
    support_rows: tuple[Support, ...]
    engines: tuple[EngineRow, ...]
    images: tuple[ImageRow, ...]
    fix_settings: FixSettings
    fixes: tuple[FixTemplate, ...]

    def newest_buildkit(self) -> str:
        return max(self.releases, key=lambda r: r.parsed).version

    def invocation(self, invocation_id: str) -> Optional[Invocation]:
        return next((i for i in self.invocation_list if i.id == invocation_id), None)

    def invocations(
        self, buildkit_version: Optional[str] = None, no_pivot: bool = False
    ) -> list[Invocation]:
        """All invocations, or those this BuildKit version sends (an unparsable one: none)."""
        if buildkit_version is None:
            return list(self.invocation_list)
        parsed = parse_version(buildkit_version)
        if parsed is None:
            return []
        return [i for i in self.invocation_list if i.sent_by(parsed, no_pivot)]

    def runtime(self, name: Optional[str]) -> Optional[Runtime]:
        if not name:
            return None
        return next((r for r in self.runtimes if r.name == name), None)

    def flags_runtime(self, name: str) -> str:
        """The runtime whose command line `name` has (krun -> crun)."""
        runtime = self.runtime(name)
        return runtime.flags_of if runtime and runtime.flags_of else name

    def support_for(self, runtime: str, invocation_id: str) -> list[Support]:
        name = self.flags_runtime(runtime)
        return [s for s in self.support_rows if s.runtime == name and s.invocation == invocation_id]

    def support(
        self, runtime: str, invocation_id: str, version: Optional[str]
    ) -> Optional[Support]:
        parsed = parse_version(version)
        if parsed is None:
            return None
        rows = self.support_for(runtime, invocation_id)
        return next((s for s in rows if in_range(parsed, s.versions)), None)

    def fixed_in(self, runtime: str, invocation_id: str) -> Optional[Support]:
        """The accepting row with the lowest lower bound: where the runtime started to accept."""
        rows = [
            s
            for s in self.support_for(runtime, invocation_id)
            if s.status == ACCEPTED and s.lower_bound() is not None
        ]
        return min(rows, key=lambda s: s.lower_bound() or Version("0"), default=None)

    def engine_buildkit(self, engine_version: Optional[str]) -> Optional[tuple[str, str]]:
        """(BuildKit tag, source) bundled by this Docker Engine, or None when unknown."""
        row = self.engine_row(engine_version)
        return (row.buildkit, row.source) if row else None

    def engine_row(self, engine_version: Optional[str]) -> Optional[EngineRow]:
        parsed = parse_version(engine_version)
        if parsed is None:
            return None
        base = Version(parsed.base_version)
        return next((e for e in self.engines if in_range(base, e.engine)), None)

    def image_runc(self, tag: Optional[str]) -> Optional[tuple[str, str]]:
        """(runc version, source) bundled in moby/buildkit:<tag>, or None when unknown."""
        parsed = parse_version(image_tag(tag))
        if parsed is None:
            return None
        base = Version(parsed.base_version)
        row = next((i for i in self.images if in_range(base, i.tags)), None)
        return (row.runc, row.source) if row else None

    def fixes_for(
        self,
        problem: str,
        driver: str,
        *,
        override_set: bool,
        engine_version: Optional[str],
        pin_helps: bool,
    ) -> list[FixTemplate]:
        engine = parse_version(engine_version)
        chosen = []
        for fix in self.fixes:
            if problem not in fix.problems or driver not in fix.drivers:
                continue
            if fix.override == "set" and not override_set:
                continue
            if fix.override == "unset" and override_set:
                continue
            if fix.engine is not None and (
                engine is None or not in_range(Version(engine.base_version), fix.engine)
            ):
                continue
            if fix.pin_helps and not pin_helps:
                continue
            chosen.append(fix)
        return chosen


def image_tag(reference: Optional[str]) -> Optional[str]:
    """`v0.12.5` from `moby/buildkit:v0.12.5-rootless@sha256:…`, `v0.12.5`, …; None: no tag."""
    if not reference:
        return None
    reference = reference.split("@", 1)[0]
    _, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:
        tag = "" if "/" in reference else reference
    return tag.removesuffix("-rootless") or None


# --- loading ------------------------------------------------------------------------------


def default_directory() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "metadata"
    return packaged if packaged.is_dir() else here.parents[1] / "metadata"


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
            self.data = tomllib.loads(self.raw)
        except tomllib.TOMLDecodeError as e:
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
    releases = _releases(files["buildkit.toml"])
    runtimes = _runtimes(files["runtimes.toml"])
    support = _support(files["runtimes.toml"], invocations, runtimes)
    engines = _engines(files["engines.toml"])
    images = _images(files["images.toml"])
    settings, fixes = _fixes(files["fixes.toml"])
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
        e.no_unknown_keys({"name", "flags_of", "wrapper", "source"})
        name = e.text("name")
        if any(r.name == name for r in result):
            e.fail("name", f"runtime {name!r} is listed twice")
        flags_of = e.data.get("flags_of")
        if flags_of is not None:
            flags_of = e.text("flags_of")
        result.append(Runtime(name, flags_of, e.flag("wrapper"), e.source(), e.where))
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
        e.no_unknown_keys({"runtime", "invocations", "versions", "status", "note", "source"})
        name = e.text("runtime")
        owner = owners.get(name)
        if owner is None:
            e.fail("runtime", f"unknown runtime {name!r}: add a [[runtime]] entry first")
        if owner.flags_of or owner.wrapper:
            e.fail("runtime", f"{name!r} borrows its support from another runtime: no rows")
        versions = e.specifiers("versions", may_be_empty=True)
        status = e.choice("status", (ACCEPTED, REJECTED, IGNORED))
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


def _engines(file: _File) -> list[EngineRow]:
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
        e.version("buildkit")
        _no_overlap(
            e,
            "engine",
            row.engine,
            row.engine_text,
            [(r.engine, r.engine_text, r.where) for r in result],
        )
        result.append(row)
    return result


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
            {"id", "problems", "drivers", "text", "override", "engine", "pin_helps", "source"}
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
        result.append(
            FixTemplate(
                id=ident,
                problems=e.strings("problems", PROBLEMS),
                drivers=e.strings("drivers", DRIVERS),
                text=text,
                override=override,
                engine=engine,
                pin_helps=e.flag("pin_helps"),
                source=e.source(),
                where=e.where,
            )
        )
    return settings, result


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
