"""`docker runtimecheck install` / `uninstall`: the plugin file and the config.json keys.

install puts the plugin at `<docker config dir>/cli-plugins/docker-runtimecheck`: a copy of
the zipapp this process runs from (its launcher names it; nothing is guessed), a file given
with `--source`, or (installed with pip) a small shell script that runs the installed
`docker-runtimecheck` by absolute path. The new file is written beside the old one, proven
(it must answer `docker-cli-plugin-metadata`, and `docker runtimecheck --version` through the
real docker CLI when there is one) and only then renamed into place. On request it then sets,
in config.json:

- `aliases.builder = "runtimecheck"`: plain `docker build` (and every `docker builder …`)
  then comes through this plugin, which checks the builder and runs `docker buildx build`;
- `plugins.runtimecheck.hooks = "build,buildx build"` and `features.hooks = "true"`: the
  CLI asks this plugin for a hint after those commands.

When anything fails, nothing is changed: no key is set and the old plugin file is back.

What install changed (each config.json key with its previous value, the directories it
created, a digest of the config.json it last wrote) is recorded in
`<docker config dir>/runtimecheck/install.json`, written before config.json is. uninstall
reverts exactly those keys, and only where they still hold what install put there (restoring
the user's own bytes when the result is what they had), removes the plugin file, the record
and the directories install created. A key the user had set to something else (another
builder alias) is not overwritten unless forced, and is then restored by uninstall.

Installs and uninstalls are serialised by a lock in the docker config directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

from . import configjson, launch, run
from .configjson import ABSENT
from .dockercli import PLUGIN_NAME, DockerConfig
from .errors import EXIT_BLOCK, EXIT_USAGE, RuntimecheckError, UsageError
from .truth import go_bool

PLUGIN_FILE = f"docker-{PLUGIN_NAME}"
PLUGINS_DIR = "cli-plugins"
CONSOLE_SCRIPT = "docker-runtimecheck"
STATE_DIR = PLUGIN_NAME
STATE_FILE = "install.json"
LOCK_FILE = "lock"
STATE_FORMAT = 2
PLUGIN_MODE = 0o755
PROOF_TIMEOUT_S = 60.0  # a zipapp's first run unpacks its dependencies
LOCK_TIMEOUT_S = 120.0
STAGING_PREFIX = ".runtimecheck-install-"
VERSION_ANSWER = "docker-runtimecheck version "

ALIAS_KEY = ("aliases", "builder")
HOOKS_KEY = ("plugins", PLUGIN_NAME, "hooks")
FEATURE_HOOKS_KEY = ("features", "hooks")
HOOK_COMMANDS_SETTING = "build,buildx build"
# Keys that belong to the user (or other plugins): never overwritten without force.
SHARED_KEYS = (ALIAS_KEY, FEATURE_HOOKS_KEY)


class InstallFailed(RuntimecheckError):
    """The new plugin could not be put in place; nothing was changed."""

    def __init__(self, message: str, *, hint: Optional[str] = None):
        super().__init__(message, exit_code=EXIT_BLOCK, hint=hint)


def install(
    cfg: DockerConfig,
    *,
    alias_build: bool = False,
    hooks: bool = False,
    source: Optional[Path] = None,
    force: bool = False,
    docker: Optional[str] = None,
) -> list[str]:
    """Install the plugin (and the keys asked for); the lines to tell the user.

    `docker` is the docker CLI that proves the new plugin; None to check only its metadata.
    """
    wanted: dict[tuple[str, ...], str] = {}
    if alias_build:
        wanted[ALIAS_KEY] = PLUGIN_NAME
    if hooks:
        wanted[HOOKS_KEY] = HOOK_COMMANDS_SETTING
        wanted[FEATURE_HOOKS_KEY] = "true"

    directory = cfg.directory
    with locked(directory) as made:
        state = load_state(directory)
        state["created"] = _merged(state.get("created"), made)
        config = configjson.config_file(directory)
        if wanted:
            # Refuse before anything is written: unreadable config.json, a key of the user's.
            data, _ = configjson.read(config)
            configjson.refuse_wrong_types(data, list(wanted), config)
            _refuse_conflicts(data, wanted, state, force, config)

        target = directory / PLUGINS_DIR / PLUGIN_FILE
        origin, content = plugin_content(source, target)
        old_state = _read_state_bytes(directory)
        with _Swap(target, content, state) as swap:
            try:
                lines = swap.prove(origin, docker)
                save_state(directory, state)
                if wanted:
                    lines += _apply(directory, wanted, state)
            except BaseException:
                _restore_state(directory, old_state)
                raise
            swap.keep()
    if hooks and go_bool(os.environ.get("DOCKER_CLI_HOOKS", "")) is False:
        lines.append(
            "note: DOCKER_CLI_HOOKS is set to false in this shell; it overrides config.json"
        )
    return lines


def uninstall(cfg: DockerConfig) -> list[str]:
    directory = cfg.directory
    with locked(directory) as made:
        state = load_state(directory)
        config = configjson.config_file(directory)
        lines = _revert(directory, state, config) if state["changes"] else []

        target = directory / PLUGINS_DIR / PLUGIN_FILE
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

        _drop_redundant_backup(config)
        state_path = _state_path(directory)
        try:
            state_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise RuntimecheckError(
                f"cannot remove the install record {state_path}: {e.strerror or e}",
                exit_code=EXIT_USAGE,
            ) from None
        # Removed with the lock, after the record directory; one that is not empty (something
        # else lives there now) stays.
        made.extend(state.get("created") or [])
    return lines


# --- the plugin file ---------------------------------------------------------------------------


def plugin_content(source: Optional[Path], target: Path) -> tuple[str, Optional[bytes]]:
    """(where it comes from, the bytes to install); None bytes when target is the source."""
    if source is not None:
        path = source.expanduser()
        if not path.is_file():
            raise UsageError(f"--source {path}: no such file")
        return _copy_of(path, target, f"copied from {path}")
    if launch.archive is not None:
        archive = Path(launch.archive)
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


def installed_console_script(target: Path) -> Optional[Path]:
    """The `docker-runtimecheck` script pip installed next to this Python."""
    path = Path(sys.executable).parent / CONSOLE_SCRIPT
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    if target.exists() and os.path.samefile(path, target):
        return None  # that would make the plugin run itself
    return path.absolute()


def shim(program: Path, *args: str) -> bytes:
    command = " ".join(shlex.quote(str(a)) for a in (program, *args))
    return (
        "#!/bin/sh\n"
        "# docker CLI plugin: runs docker-runtimecheck as installed by pip.\n"
        f'exec {command} "$@"\n'
    ).encode()


class _Swap:
    """The new plugin file: staged beside the old one, proven, renamed into place.

    Leaving the block without `keep()` puts the old file back (or removes the new one when
    there was none) and removes the staging directory and what was created for it.
    """

    def __init__(self, target: Path, content: Optional[bytes], state: dict[str, Any]) -> None:
        self.target = target
        self.content = content
        self.state = state
        self.staging: Optional[Path] = None
        self.previous: Optional[Path] = None
        self.swapped = False
        self.created: list[str] = []
        self.kept = False

    def __enter__(self) -> _Swap:
        return self

    def prove(self, origin: str, docker: Optional[str]) -> list[str]:
        if self.content is None:
            return [f"the plugin is already in place: {self.target}"]
        self.created = _make_dirs(self.target.parent)
        self.state["created"] = _merged(self.state.get("created"), self.created)
        self.staging = Path(
            _checked(
                lambda: tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.target.parent),
                self.target.parent,
            )
        )
        staged = self.staging / PLUGIN_FILE
        configjson.write_atomic(staged, self.content, like=None, mode=PLUGIN_MODE)
        problem = metadata_problem(staged)
        how = "answers docker-cli-plugin-metadata"
        if problem is None and docker is not None:
            problem = docker_problem(self.staging, docker)
            how = f"answers `docker runtimecheck --version` through {docker}"
        if problem is not None:
            raise InstallFailed(
                f"the new plugin ({origin}) does not work: {problem}; nothing was changed",
                hint="install from a complete build (`make dist`), or pass --source FILE",
            )
        if self.target.exists() or self.target.is_symlink():
            self.previous = _checked(lambda: _keep_copy(self.target, self.staging), self.target)
        _checked(lambda: os.replace(staged, self.target), self.target)
        self.swapped = True
        return [f"installed the plugin {self.target} ({origin}; it {how})"]

    def keep(self) -> None:
        self.kept = True

    def __exit__(self, *exc: object) -> None:
        if self.swapped and not self.kept:
            with contextlib.suppress(OSError):
                if self.previous is not None:
                    os.replace(self.previous, self.target)
                else:
                    self.target.unlink()
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if not self.kept:
            for created in reversed(self.created):
                with contextlib.suppress(OSError):
                    Path(created).rmdir()


def _keep_copy(path: Path, directory: Path) -> Path:
    """A copy of `path` in `directory` that can be renamed back over it: a hard link if it can."""
    copy = directory / "previous"
    try:
        os.link(path, copy, follow_symlinks=False)
    except OSError:
        if path.is_symlink():
            os.symlink(os.readlink(path), copy)
        else:
            shutil.copy2(path, copy)
    return copy


def _make_dirs(directory: Path) -> list[str]:
    """Create `directory` and missing parents; the ones created, outermost first."""
    missing = []
    for path in (directory, *directory.parents):
        if path.exists():
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as e:
            raise RuntimecheckError(
                f"cannot create {path}: {e.strerror or e}",
                exit_code=EXIT_USAGE,
                hint="check its permissions, or use another docker config directory (--config)",
            ) from None
    if not directory.is_dir():
        raise RuntimecheckError(
            f"cannot create {directory}: something else is in its place",
            exit_code=EXIT_USAGE,
            hint="move it away, or use another docker config directory (--config)",
        )
    return [str(p) for p in reversed(missing)]


def _merged(recorded: Optional[list[str]], created: list[str]) -> list[str]:
    return [*(recorded or []), *(c for c in created if c not in (recorded or []))]


def _checked(action: Any, path: Path) -> Any:
    try:
        return action()
    except OSError as e:
        raise RuntimecheckError(
            f"cannot write {path}: {e.strerror or e}; it was left as it was",
            exit_code=EXIT_USAGE,
        ) from None


def metadata_problem(plugin: Path) -> Optional[str]:
    """Why `plugin docker-cli-plugin-metadata` is not what the docker CLI needs, or None."""
    done = run.run([str(plugin), "docker-cli-plugin-metadata"], timeout=PROOF_TIMEOUT_S)
    if not done.ok:
        return "docker-cli-plugin-metadata: " + _failure(done)
    try:
        meta = json.loads(done.stdout)
    except ValueError:
        return "its docker-cli-plugin-metadata answer is not JSON"
    if not isinstance(meta, dict) or meta.get("SchemaVersion") != "0.1.0":
        return "its docker-cli-plugin-metadata answer is not what the docker CLI expects"
    return None


def docker_problem(plugin_dir: Path, docker: str) -> Optional[str]:
    """Why `docker runtimecheck --version`, finding the plugin in `plugin_dir`, fails; or None.

    A private docker config directory lists `plugin_dir` first among the plugin directories,
    so the docker CLI runs exactly the new file, as it will once it is in place.
    """
    with tempfile.TemporaryDirectory(prefix="config-", dir=plugin_dir) as config:
        Path(config, "config.json").write_text(
            json.dumps({"cliPluginsExtraDirs": [str(plugin_dir)]}), encoding="utf-8"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CLI_PLUGIN_SOCKET")
        }
        argv = [docker, "--config", config, PLUGIN_NAME, "--version"]
        done = run.run(argv, timeout=PROOF_TIMEOUT_S, env=env)
    if not done.ok:
        return "`docker runtimecheck --version`: " + _failure(done)
    if not done.text().startswith(VERSION_ANSWER):
        return f"`docker runtimecheck --version` answered {done.text().strip()[:200]!r}"
    return None


def _failure(done: run.Completed) -> str:
    if done.error:
        return done.error
    if done.timed_out:
        return f"no answer within {PROOF_TIMEOUT_S:g} s"
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"exit status {done.returncode}" + (f": {said[-1]}" if said else "")


def docker_cli() -> Optional[str]:
    """The docker CLI to prove a new plugin with: the one that ran us, else `docker` on PATH."""
    return os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND") or shutil.which("docker")


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


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _ours(state: dict[str, Any]) -> Any:
    """Whether config.json's bytes are the ones install last wrote (then they are no backup)."""
    return lambda before: _digest(before) == state.get("written")


def _apply(directory: Path, wanted: dict[tuple[str, ...], str], state: dict[str, Any]) -> list[str]:
    changes: dict[str, Any] = state["changes"]
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

    config = configjson.config_file(directory)
    existed = config.exists()
    if not existed:
        state["config_created"] = True
    backup = _backup_bytes(config)

    def record(new: bytes) -> None:
        state["written"] = _digest(new)
        save_state(directory, state)

    written = configjson.edit(directory, change, before_write=record, backup_unless=_ours(state))
    if written is None:
        return [f"{config} already holds these settings"]
    if not existed:
        lines.append(f"created {config}")
    elif _backup_bytes(config) != backup:
        lines.append(f"updated {config} (your previous content: {configjson.backup_path(config)})")
    else:
        lines.append(f"updated {config}")
    if ALIAS_KEY in wanted:
        lines.append("`docker build` and `docker builder …` now go through `docker runtimecheck`")
    return lines


def _revert(directory: Path, state: dict[str, Any], config: Path) -> list[str]:
    lines: list[str] = []
    changes: dict[str, Any] = state["changes"]

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

    written = configjson.edit(
        directory,
        change,
        backup_unless=_ours(state),
        same_as=_backup_bytes(config),
        remove_if_empty=bool(state.get("config_created")),
    )
    if written is not None:
        lines.append(f"updated {config}" if written else f"removed {config}: install created it")
    return lines


def _backup_bytes(config: Path) -> Optional[bytes]:
    try:
        return configjson.backup_path(config).read_bytes()
    except OSError:
        return None


def _drop_redundant_backup(config: Path) -> None:
    """The backup goes once config.json is the user's own again, byte for byte."""
    backup = configjson.backup_path(config)
    try:
        if backup.read_bytes() == config.read_bytes():
            backup.unlink()
    except OSError:
        pass


# --- the install record and its lock ------------------------------------------------------------


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
    state["format"] = STATE_FORMAT
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


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[list[str]]:
    """Hold the install lock of this docker config directory (`runtimecheck/lock`).

    Yields the directories that had to be created above the record directory (a docker
    config directory that did not exist yet). When the block ends and no install record is
    left, the lock file, its directory and those go: an uninstall, or an install that
    changed nothing, leaves nothing behind. Whoever waited on a lock file that was removed
    meanwhile takes the new one.
    """
    import fcntl

    record_dir = directory / STATE_DIR
    path = record_dir / LOCK_FILE
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    made: list[str] = []
    while True:
        made += _make_dirs(directory)
        try:
            record_dir.mkdir(exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            # The holder we raced removed the directory between mkdir and open: make it again.
            if time.monotonic() > deadline:
                raise RuntimecheckError(
                    f"cannot create the install lock {path}: its directory keeps vanishing",
                    exit_code=EXIT_USAGE,
                    hint="wait for other installs and uninstalls to finish, then run this again",
                ) from None
            continue
        except OSError as e:
            raise RuntimecheckError(
                f"cannot create the install lock {path}: {e.strerror or e}",
                exit_code=EXIT_USAGE,
                hint="check the docker config directory's permissions",
            ) from None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimecheckError(
                        f"another install or uninstall has held {path} for {LOCK_TIMEOUT_S:g} s",
                        exit_code=EXIT_USAGE,
                        hint="wait for it to finish, then run this again",
                    ) from None
                time.sleep(0.05)
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if same:
            break
        os.close(fd)  # removed by the holder we waited for: take the new one
    try:
        yield made
    finally:
        if not _state_path(directory).exists():
            with contextlib.suppress(OSError):
                path.unlink()
            for leftover in (str(record_dir), *reversed(made)):
                with contextlib.suppress(OSError):
                    Path(leftover).rmdir()
        os.close(fd)
