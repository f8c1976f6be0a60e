"""`docker runtimecheck install` / `uninstall`: the plugin file and the config.json keys.

install puts the plugin at `<docker config dir>/cli-plugins/docker-runtimecheck`: a copy of
the running zipapp, or (installed with pip) a small shell script that runs the installed
`docker-runtimecheck` by absolute path. On request it also sets, in config.json:

- `aliases.builder = "runtimecheck"`: plain `docker build` (and every `docker builder …`)
  then comes through this plugin, which checks the builder and runs `docker buildx build`;
- `plugins.runtimecheck.hooks = "build,buildx build"` and `features.hooks = "true"`: the
  CLI asks this plugin for a hint after those commands.

What install changed in config.json (and each key's previous value) is recorded in
`<docker config dir>/runtimecheck/install.json`, written before config.json is. uninstall
reverts exactly those keys, and only where they still hold what install put there; then it
removes the plugin file and the record. A key the user had set to something else (another
builder alias) is not overwritten unless forced, and is then restored by uninstall.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any, Optional

from . import configjson, run
from .configjson import ABSENT
from .dockercli import PLUGIN_NAME, DockerConfig
from .errors import EXIT_USAGE, RuntimecheckError, UsageError

PLUGIN_FILE = f"docker-{PLUGIN_NAME}"
CONSOLE_SCRIPT = "docker-runtimecheck"
STATE_DIR = PLUGIN_NAME
STATE_FILE = "install.json"
STATE_FORMAT = 1
PLUGIN_MODE = 0o755
METADATA_TIMEOUT_S = 60.0  # a zipapp's first run unpacks its dependencies

ALIAS_KEY = ("aliases", "builder")
HOOKS_KEY = ("plugins", PLUGIN_NAME, "hooks")
FEATURE_HOOKS_KEY = ("features", "hooks")
HOOKED_COMMANDS = "build,buildx build"
# Keys that belong to the user (or other plugins): never overwritten without force.
SHARED_KEYS = (ALIAS_KEY, FEATURE_HOOKS_KEY)


def install(
    cfg: DockerConfig,
    *,
    alias_build: bool = False,
    hooks: bool = False,
    source: Optional[Path] = None,
    force: bool = False,
) -> list[str]:
    wanted: dict[tuple[str, ...], str] = {}
    if alias_build:
        wanted[ALIAS_KEY] = PLUGIN_NAME
    if hooks:
        wanted[HOOKS_KEY] = HOOKED_COMMANDS
        wanted[FEATURE_HOOKS_KEY] = "true"

    state = load_state(cfg.directory)
    config = configjson.config_path(cfg.directory)
    if wanted:
        # Refuse before anything is written: unreadable config.json, or a key of the user's.
        data, _ = configjson.read(config)
        _refuse_conflicts(data, wanted, state, force, config)

    lines = install_plugin_file(cfg.directory / "cli-plugins" / PLUGIN_FILE, source)
    if wanted:
        lines += _apply(cfg.directory, wanted, state)
    if hooks and os.environ.get("DOCKER_CLI_HOOKS", "").lower() in ("0", "f", "false"):
        lines.append(
            "note: DOCKER_CLI_HOOKS is set to false in this shell; it overrides config.json"
        )
    return lines


def uninstall(cfg: DockerConfig) -> list[str]:
    state = load_state(cfg.directory)
    changes: dict[str, Any] = state["changes"]
    lines: list[str] = []
    config = configjson.config_path(cfg.directory)
    if changes:
        lines += _revert(cfg.directory, changes, config)

    target = cfg.directory / "cli-plugins" / PLUGIN_FILE
    if target.is_file() or target.is_symlink():
        try:
            target.unlink()
        except OSError as e:
            raise RuntimecheckError(
                f"cannot remove {target}: {e.strerror or e}", exit_code=EXIT_USAGE
            ) from None
        lines.append(f"removed the plugin {target}")
    else:
        lines.append(f"no plugin file at {target}")

    state_path = _state_path(cfg.directory)
    if state_path.exists():
        try:
            state_path.unlink()
        except OSError as e:
            raise RuntimecheckError(
                f"cannot remove the install record {state_path}: {e.strerror or e}",
                exit_code=EXIT_USAGE,
            ) from None
        with contextlib.suppress(OSError):  # not empty: something else lives there
            state_path.parent.rmdir()
    return lines


# --- the plugin file ---------------------------------------------------------------------------


def install_plugin_file(target: Path, source: Optional[Path]) -> list[str]:
    origin, content = plugin_content(source, target)
    if content is None:
        return [f"the plugin is already in place: {target}"]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot create {target.parent}: {e.strerror or e}",
            exit_code=EXIT_USAGE,
            hint="check its permissions, or use another docker config directory (--config)",
        ) from None
    configjson.write_atomic(target, content, like=None, mode=PLUGIN_MODE)
    lines = [f"installed the plugin {target} ({origin})"]
    problem = _metadata_problem(target)
    if problem:
        lines.append(f"warning: the installed plugin does not answer the docker CLI: {problem}")
    return lines


def plugin_content(source: Optional[Path], target: Path) -> tuple[str, Optional[bytes]]:
    """(where it comes from, the bytes to install); None bytes when target is the source."""
    if source is not None:
        path = source.expanduser()
        if not path.is_file():
            raise UsageError(f"--source {path}: no such file")
        return _copy_of(path, target, f"copied from {path}")
    archive = running_zipapp()
    if archive is not None:
        return _copy_of(archive, target, f"copied from the zipapp {archive}")
    script = installed_console_script(target)
    if script is not None:
        return f"runs {script}", shim(script)
    return f"runs {sys.executable} -m runtimecheck", shim(
        Path(sys.executable), "-m", "runtimecheck"
    )


def _copy_of(path: Path, target: Path, origin: str) -> tuple[str, Optional[bytes]]:
    try:
        if target.exists() and os.path.samefile(path, target):
            return origin, None
        return origin, path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None


def running_zipapp() -> Optional[Path]:
    """The zipapp this process runs from (shiv runs `python ARCHIVE`, so it is argv[0])."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and os.path.isfile(argv0) and zipfile.is_zipfile(argv0):
        return Path(argv0).resolve()
    return None


def installed_console_script(target: Path) -> Optional[Path]:
    """The `docker-runtimecheck` script pip installed next to this Python (or on PATH)."""
    candidates = [Path(sys.executable).parent / CONSOLE_SCRIPT]
    found = shutil.which(CONSOLE_SCRIPT)
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        if target.exists() and os.path.samefile(path, target):
            continue  # that would make the plugin run itself
        return path.absolute()
    return None


def shim(program: Path, *args: str) -> bytes:
    command = " ".join(shlex.quote(str(a)) for a in (program, *args))
    return (
        "#!/bin/sh\n"
        "# docker CLI plugin: runs docker-runtimecheck as installed by pip.\n"
        f'exec {command} "$@"\n'
    ).encode()


def _metadata_problem(target: Path) -> Optional[str]:
    done = run.run([str(target), "docker-cli-plugin-metadata"], timeout=METADATA_TIMEOUT_S)
    if not done.ok:
        detail = done.error or (
            "timed out" if done.timed_out else done.stderr.decode("utf-8", "replace").strip()
        )
        return detail or f"exit status {done.returncode}"
    try:
        meta = json.loads(done.stdout)
    except ValueError:
        return "its metadata is not JSON"
    if not isinstance(meta, dict) or meta.get("SchemaVersion") != "0.1.0":
        return "its metadata is not what the docker CLI expects"
    return None


# --- config.json keys ---------------------------------------------------------------------------


def _dotted(keys: tuple[str, ...]) -> str:
    return ".".join(keys)


def _refuse_conflicts(
    data: dict[str, Any],
    wanted: dict[tuple[str, ...], str],
    state: dict[str, Any],
    force: bool,
    config: Path,
) -> None:
    if force:
        return
    for keys in SHARED_KEYS:
        if keys not in wanted:
            continue
        current = configjson.get(data, keys)
        record = state["changes"].get(_dotted(keys))
        if current is ABSENT or current == wanted[keys]:
            continue
        if record is not None and current == record.get("set"):
            continue  # still what an earlier install put there
        raise UsageError(
            f"{config} already sets {_dotted(keys)} = {json.dumps(current)}; not overwriting it",
            hint="pass --force to replace it (uninstall puts it back)",
        )


def _apply(directory: Path, wanted: dict[tuple[str, ...], str], state: dict[str, Any]) -> list[str]:
    changes: dict[str, Any] = state["changes"]
    old_state = _read_state_bytes(directory)
    lines: list[str] = []

    def change(data: dict[str, Any]) -> None:
        lines.clear()
        for keys, value in wanted.items():
            dotted = _dotted(keys)
            current = configjson.get(data, keys)
            if current == value:
                continue
            created = configjson.put(data, keys, value)
            record = changes.get(dotted)
            if record is not None and current == record.get("set"):
                record["set"] = value
                record["created"] = [*record["created"], *created]
            else:
                # Not ours yet, or changed by someone since an earlier install: what is
                # there now is what uninstall must put back.
                previous = {} if current is ABSENT else {"value": current}
                earlier = record["created"] if record is not None else []
                changes[dotted] = {
                    "previous": previous,
                    "set": value,
                    "created": [*earlier, *created],
                }
            was = "" if current is ABSENT else f" (was {json.dumps(current)})"
            lines.append(f"set {dotted} = {json.dumps(value)}{was}")

    config = configjson.config_path(directory)
    try:
        written = configjson.edit(
            directory, change, before_write=lambda: save_state(directory, state)
        )
    except BaseException:
        _restore_state(directory, old_state)
        raise
    if not written:
        return [f"{config} already holds these settings"]
    lines.append(f"updated {config} (previous content: {configjson.backup_path(config)})")
    if ALIAS_KEY in wanted:
        lines.append("`docker build` and `docker builder …` now go through `docker runtimecheck`")
    return lines


def _revert(directory: Path, changes: dict[str, Any], config: Path) -> list[str]:
    lines: list[str] = []

    def change(data: dict[str, Any]) -> None:
        lines.clear()
        for dotted, record in changes.items():
            keys = tuple(dotted.split("."))
            current = configjson.get(data, keys)
            if current != record.get("set"):
                shown = "absent" if current is ABSENT else json.dumps(current)
                lines.append(f"left {dotted} as it is ({shown}): changed since install")
                continue
            previous = record.get("previous") or {}
            configjson.put(data, keys, previous.get("value", ABSENT))
            for parent in reversed(record.get("created") or []):
                configjson.prune(data, parent)
            if "value" in previous:
                lines.append(f"restored {dotted} = {json.dumps(previous['value'])}")
            else:
                lines.append(f"removed {dotted}")

    if configjson.edit(directory, change):
        lines.append(f"updated {config} (previous content: {configjson.backup_path(config)})")
    return lines


# --- the install record -------------------------------------------------------------------------


def _state_path(directory: Path) -> Path:
    return directory / STATE_DIR / STATE_FILE


def load_state(directory: Path) -> dict[str, Any]:
    path = _state_path(directory)
    empty: dict[str, Any] = {"format": STATE_FORMAT, "changes": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as e:
        raise UsageError(
            f"cannot read the install record {path}: {e}",
            hint="fix or remove it (it only lists what install changed in config.json)",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("changes"), dict):
        raise UsageError(f"the install record {path} is not what this version wrote")
    return data


def save_state(directory: Path, state: dict[str, Any]) -> None:
    path = _state_path(directory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot create {path.parent}: {e.strerror or e}", exit_code=EXIT_USAGE
        ) from None
    content = json.dumps(state, indent=2, sort_keys=True) + "\n"
    configjson.write_atomic(path, content.encode(), like=None)


def _read_state_bytes(directory: Path) -> Optional[bytes]:
    try:
        return _state_path(directory).read_bytes()
    except OSError:
        return None


def _restore_state(directory: Path, previous: Optional[bytes]) -> None:
    path = _state_path(directory)
    try:
        if previous is None:
            path.unlink()
        else:
            configjson.write_atomic(path, previous, like=None)
    except (OSError, RuntimecheckError):
        pass
