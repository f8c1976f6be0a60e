"""Edits of docker's config.json that never leave it half-written and keep everything else.

The file holds credentials (`auths`), the credential store, contexts and other plugins'
settings: every key we do not touch is kept with its value and its place, the file keeps
its mode (and owner, when run as root), and the previous content is kept next to it as
`config.json.runtimecheck.bak`. The new content is written to a temporary file in the same
directory, flushed to disk, then renamed over the old one.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

from .errors import EXIT_USAGE, RuntimecheckError, UsageError

CONFIG_NAME = "config.json"
BACKUP_SUFFIX = ".runtimecheck.bak"
NEW_FILE_MODE = 0o600  # what the docker CLI creates config.json with

# A change to a nested key: the path of keys and the value (ABSENT: remove the key).
ABSENT = object()


def config_file(directory: Path) -> Path:
    """config.json in `directory`, through a symlink to the file it points at."""
    path = directory / CONFIG_NAME
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def read(path: Path) -> tuple[dict[str, Any], bytes]:
    """The parsed object and the bytes it came from; ({}, b"") when the file is absent.

    A file that is not a JSON object is refused: we never rewrite what we cannot read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, b""
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    if not raw.strip():
        return {}, raw
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(
            f"{path} is not valid JSON ({e}); not editing it",
            hint="fix the file (docker itself cannot read it either), then run this again",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a JSON object; not editing it")
    return data, raw


def edit(
    directory: Path,
    change: Callable[[dict[str, Any]], None],
    *,
    before_write: Optional[Callable[[bytes], None]] = None,
    backup_unless: Optional[Callable[[bytes], bool]] = None,
    same_as: Optional[bytes] = None,
    remove_if_empty: bool = False,
) -> Optional[bytes]:
    """Apply `change` to config.json in place; the bytes written, None when nothing changed.

    `change` mutates the parsed object; when it leaves it equal, nothing is written.
    `before_write` gets the new content before anything is written (to record what is about
    to change); when it raises, nothing is written. The previous content is kept as the
    backup unless `backup_unless(previous)` says it is not worth keeping (bytes we wrote
    ourselves). When `same_as` parses to the new object, those bytes are written as they
    are (the user's own layout); with `remove_if_empty`, an empty object removes the file
    (b"" is returned).
    """
    path = config_file(directory)
    data, before = read(path)
    original = json.loads(json.dumps(data))
    change(data)
    if data == original:
        return None
    if remove_if_empty and not data:
        new = b""
    elif same_as is not None and _parses_to(same_as, data):
        new = same_as
    else:
        new = dumps(data, before).encode("utf-8")
    keep_backup = bool(before) and (backup_unless is None or not backup_unless(before))
    if before_write is not None:
        before_write(new)
    if keep_backup:
        write_atomic(backup_path(path), before, like=path)
    _check_unchanged(path, before)
    if new:
        write_atomic(path, new, like=path)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise RuntimecheckError(
                f"cannot remove {path}: {e.strerror or e}", exit_code=EXIT_USAGE
            ) from None
    return new


def _parses_to(content: bytes, data: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(content.decode("utf-8")) == data)
    except (ValueError, UnicodeDecodeError):
        return False


def dumps(data: dict[str, Any], previous: bytes) -> str:
    """JSON in the layout of the previous file: its indent and its final newline.

    Without a previous file: a tab indent, as the docker CLI writes it.
    """
    indent = _indent_of(previous.decode("utf-8", "replace")) if previous else "\t"
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    if not previous or previous.endswith(b"\n"):
        text += "\n"
    return text


def _indent_of(text: str) -> str:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "\t"


def _check_unchanged(path: Path, before: bytes) -> None:
    # Someone else (`docker login`, another install) wrote the file since we read it.
    try:
        now = path.read_bytes()
    except FileNotFoundError:
        now = b""
    except OSError:
        return
    if now != before:
        raise RuntimecheckError(
            f"{path} changed while it was being edited; nothing was written",
            exit_code=EXIT_USAGE,
            hint="run the command again",
        )


def write_atomic(
    path: Path, content: bytes, *, like: Optional[Path], mode: int = NEW_FILE_MODE
) -> None:
    """Replace `path` with `content` in one rename.

    Mode and owner are those of `like` when it exists, else `mode` and ours. The temporary
    file is removed when anything fails, so the old file stays as it was.
    """
    owner = None
    try:
        if like is not None:
            st = os.stat(like)
            mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
    except FileNotFoundError:
        pass
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot write in {directory}: {e.strerror or e}",
            exit_code=EXIT_USAGE,
            hint="check the directory's permissions",
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fchmod(f.fileno(), mode)
            if owner is not None and os.geteuid() == 0:
                os.fchown(f.fileno(), *owner)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise RuntimecheckError(
                f"cannot write {path}: {e.strerror or e}; it was left as it was",
                exit_code=EXIT_USAGE,
            ) from None
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- nested keys ------------------------------------------------------------------------------


def get(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value at `keys`, or ABSENT (also when a parent is missing or not an object)."""
    node: Any = data
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return ABSENT
        node = node[key]
    return node


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def refuse_wrong_types(data: dict[str, Any], wanted: list[tuple[str, ...]], path: Path) -> None:
    """UsageError naming the first key on the way to one of `wanted` that is not an object."""
    for keys in wanted:
        for depth in range(1, len(keys)):
            value = get(data, keys[:depth])
            if value is ABSENT:
                break
            if not isinstance(value, dict):
                kind = _JSON_TYPES.get(type(value), "null" if value is None else "a number")
                raise UsageError(
                    f"{path}: `{'.'.join(keys[:depth])}` is {kind}, not an object; not editing it",
                    hint="docker expects an object there: fix that key, then run this again",
                )


def put(data: dict[str, Any], keys: tuple[str, ...], value: Any) -> list[str]:
    """Set (or with ABSENT remove) the value at `keys`.

    Returns the parent keys that had to be created (dotted), so that they can be removed
    again by `prune` and nothing else is. A parent that is there but not an object is
    never replaced: UsageError.
    """
    if value is ABSENT:
        parent = get(data, keys[:-1]) if len(keys) > 1 else data
        if isinstance(parent, dict):
            parent.pop(keys[-1], None)
        return []
    created = []
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key, ABSENT)
        if child is ABSENT:
            child = {}
            node[key] = child
            created.append(".".join(keys[: depth + 1]))
        elif not isinstance(child, dict):
            refuse_wrong_types(data, [keys], Path(CONFIG_NAME))
        node = child
    node[keys[-1]] = value
    return created


def prune(data: dict[str, Any], dotted: str) -> bool:
    """Remove the object at `dotted` when it is empty; True when it was removed."""
    keys = tuple(dotted.split("."))
    value = get(data, keys)
    if value != {}:
        return False
    put(data, keys, ABSENT)
    return True
