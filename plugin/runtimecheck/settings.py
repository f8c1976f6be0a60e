"""What the user asked for: checks to ignore, when to fail, assumed runtimes, output format.

From the command line, the environment (RUNTIMECHECK_IGNORE, RUNTIMECHECK_FAIL_ON,
RUNTIMECHECK_FORMAT), the project's `.runtimecheck.toml` (looked for from the current
directory upwards, up to the directory holding `.git`) and the user's
`$XDG_CONFIG_HOME/docker-runtimecheck/config.toml`. Ignore lists are the union of every source;
single values come from the first source that has them, in that order; assumed runtimes are
merged per builder name in the same order.

This is on the build preflight's fast path: a TOML parser is imported only when a file exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import UsageError
from .report import FAIL_ON, FORMATS

PROJECT_FILE = ".runtimecheck.toml"
USER_DIR = "docker-runtimecheck"
USER_FILE = "config.toml"
IGNORE_ENV = "RUNTIMECHECK_IGNORE"
FAIL_ON_ENV = "RUNTIMECHECK_FAIL_ON"
FORMAT_ENV = "RUNTIMECHECK_FORMAT"
DEFAULT_FAIL_ON = "block"

FILE_KEYS = ("ignore", "fail-on", "format", "assume-runtime")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.*")


class IgnoreSet(frozenset):
    """Check ids to ignore; `*` in an entry matches any run of characters (`exec-*`)."""

    def __contains__(self, item: object) -> bool:
        if frozenset.__contains__(self, item):
            return True
        return isinstance(item, str) and any("*" in p and _glob(p, item) for p in self)


def _glob(pattern: str, text: str) -> bool:
    first, *middle, last = pattern.split("*")
    if not text.startswith(first):
        return False
    pos = len(first)
    for part in middle:
        found = text.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return len(text) - pos >= len(last) and text.endswith(last)


@dataclass
class Settings:
    ignore: frozenset[str] = field(default_factory=IgnoreSet)
    fail_on: str = DEFAULT_FAIL_ON
    assume_runtime: dict[str, str] = field(default_factory=dict)
    format: Optional[str] = None
    sources: list[str] = field(default_factory=list)  # where these came from, strongest first
    ignored_by: dict[str, str] = field(default_factory=dict)  # ignore entry → its source

    def check_ignored(self, known: Iterable[str]) -> None:
        """UsageError for an ignore entry that names no known check (a glob must match one)."""
        ids = sorted(set(known))
        for entry, source in self.ignored_by.items():
            if not any(check_id in IgnoreSet([entry]) for check_id in ids):
                raise UsageError(
                    f"{source}: {entry!r} is not a check id",
                    hint=f"known ids: {', '.join(ids)} (`docker runtimecheck rules` explains them)",
                )


@dataclass
class _Layer:
    """What one source says; None where it says nothing."""

    source: str
    ignore: list[str] = field(default_factory=list)
    fail_on: Optional[str] = None
    format: Optional[str] = None
    assume_runtime: dict[str, str] = field(default_factory=dict)

    def says_anything(self) -> bool:
        return bool(self.ignore or self.fail_on or self.format or self.assume_runtime)


def load(
    cwd: Optional[Path] = None,
    env: Optional[Mapping[str, str]] = None,
    flags: Optional[dict[str, Any]] = None,
) -> Settings:
    env = os.environ if env is None else env
    here = Path.cwd() if cwd is None else Path(cwd).absolute()
    layers = [_flag_layer(flags or {}), _env_layer(env)]
    for path in (project_file(here), user_file(env)):
        if path is not None:
            layers.append(_file_layer(path))
    layers = [layer for layer in layers if layer.says_anything()]

    assumed: dict[str, str] = {}
    for layer in reversed(layers):
        assumed.update(layer.assume_runtime)
    return Settings(
        ignore=IgnoreSet(i for layer in layers for i in layer.ignore),
        fail_on=next((x.fail_on for x in layers if x.fail_on), DEFAULT_FAIL_ON),
        assume_runtime=assumed,
        format=next((x.format for x in layers if x.format), None),
        sources=[layer.source for layer in layers],
        ignored_by={i: layer.source for layer in reversed(layers) for i in layer.ignore},
    )


def project_file(cwd: Path) -> Optional[Path]:
    """`.runtimecheck.toml` in `cwd` or above, not past the directory that holds `.git`."""
    for directory in (cwd, *cwd.parents):
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def user_file(env: Mapping[str, str]) -> Optional[Path]:
    path = _user_path(env)
    return path if path is not None and path.is_file() else None


def _user_path(env: Mapping[str, str]) -> Optional[Path]:
    base = env.get("XDG_CONFIG_HOME", "")
    if not base or not os.path.isabs(base):  # the XDG spec ignores relative paths
        home = env.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".config")
    return Path(base, USER_DIR, USER_FILE)


def watched_witnesses(
    cwd: Optional[Path] = None, env: Optional[Mapping[str, str]] = None
) -> list[list[Any]]:
    """Witnesses of every file whose appearance, change or removal could change what `load`
    gives: each project file candidate up to the repository root, that root's `.git` (only
    whether it exists: its contents change with every commit), and the user's file."""
    from runtimecheck.preflight import witnesses

    cwd = Path.cwd() if cwd is None else cwd
    env = os.environ if env is None else env
    found = []
    for directory in (cwd, *cwd.parents):
        found.append(witnesses.file_witness(str(directory / PROJECT_FILE)))
        git = directory / ".git"
        if git.exists():
            found.append(witnesses.exists_witness(str(git)))
            break
    user = _user_path(env)
    if user is not None:
        found.append(witnesses.file_witness(str(user)))
    return found


# --- the sources --------------------------------------------------------------------------------


def _flag_layer(flags: Mapping[str, Any]) -> _Layer:
    where = "command line"
    assumed = flags.get("assume_runtime") or flags.get("assume-runtime") or {}
    if isinstance(assumed, str):
        assumed = {"*": assumed}
    return _Layer(
        source=where,
        ignore=_ids(_split(flags.get("ignore") or []), where),
        fail_on=_choice(flags.get("fail_on") or flags.get("fail-on"), FAIL_ON, "--fail-on"),
        format=_choice(flags.get("format"), FORMATS, "--format"),
        assume_runtime={str(k): _assumed(v, "--assume-runtime") for k, v in assumed.items()},
    )


def _env_layer(env: Mapping[str, str]) -> _Layer:
    said = [name for name in (IGNORE_ENV, FAIL_ON_ENV, FORMAT_ENV) if env.get(name, "").strip()]
    return _Layer(
        source="environment (" + ", ".join(said) + ")",
        ignore=_ids(_split([env.get(IGNORE_ENV, "")]), IGNORE_ENV),
        fail_on=_choice(env.get(FAIL_ON_ENV, "").strip() or None, FAIL_ON, FAIL_ON_ENV),
        format=_choice(env.get(FORMAT_ENV, "").strip() or None, FORMATS, FORMAT_ENV),
    )


def _file_layer(path: Path) -> _Layer:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read: {e}") from None
    from . import tomlfile

    try:
        data = tomlfile.loads(text)
    except tomlfile.TOMLDecodeError as e:
        raise UsageError(f"{path}: invalid TOML: {e}") from None

    def where(key: str) -> str:
        return f"{path}, line {_line_of(text, key)}"

    layer = _Layer(source=str(path))
    for key, value in data.items():
        if key == "ignore":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where(key)}: ignore must be a list of check ids")
            layer.ignore = _ids(_split(value), where(key))
        elif key == "fail-on":
            layer.fail_on = _choice(value, FAIL_ON, where(key) + ": fail-on")
        elif key == "format":
            layer.format = _choice(value, FORMATS, where(key) + ": format")
        elif key == "assume-runtime":
            if not isinstance(value, dict):
                raise UsageError(
                    f'{where(key)}: assume-runtime must be a table of builder = "NAME=VERSION"',
                    hint='e.g. [assume-runtime] then: ci = "crun=1.14.4", or "*" = "runc=1.1.12"',
                )
            layer.assume_runtime = {
                k: _assumed(v, f"{where(k)}: assume-runtime {k!r}") for k, v in value.items()
            }
        else:
            raise UsageError(
                f"{where(key)}: unknown setting {key!r}", hint=f"known: {', '.join(FILE_KEYS)}"
            )
    return layer


# --- values -------------------------------------------------------------------------------------


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _ids(values: list[str], where: str) -> list[str]:
    ids = [v.lower() for v in values]
    for check_id in ids:
        if not set(check_id) <= _ID_CHARS:
            raise UsageError(
                f"{where}: {check_id!r} is not a check id",
                hint="check ids look like run-keep; `docker runtimecheck rules` lists them",
            )
    return ids


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> Optional[str]:
    if value is None:
        return None
    if value not in allowed:
        raise UsageError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _assumed(value: Any, where: str) -> str:
    from .assumed import parse_assumed

    try:
        name, version = parse_assumed(value)
    except UsageError as e:
        raise UsageError(f"{where}: {e.message}", hint=e.hint) from None
    return f"{name}={version}"


def _line_of(text: str, key: str) -> int:
    """The line where `key` is set or its table starts; 1 when it cannot be found."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        for candidate in (key, f'"{key}"', f"'{key}'"):
            if stripped == f"[{candidate}]":
                return number
            rest = stripped[len(candidate) :].lstrip() if stripped.startswith(candidate) else ""
            if rest.startswith("="):
                return number
    return 1
