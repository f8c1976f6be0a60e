"""The build preflight's warm path: is an earlier "go ahead" still true?

A full check that let a build go ahead leaves a cache entry holding *witnesses*: each thing
its answer depended on, with the value seen then: the files it read (docker's config.json,
the context, buildx's `current`, `defaults/`, the builder's instance file, the settings
files, the knowledge data), each builder container's id and start time and, inside it, the
runtime binary BuildKit will run, the directories of its PATH and buildkitd's config file
(size, mode and modification time, from the Engine API's archive stat: no exec), dockerd's
process start and the runtime binary on its PATH. Re-reading those (a few `stat`s, a few
small Engine API requests per container) is all a repeated build costs; any difference
sends the build through the full check again.

This module runs before every build, so it imports only C modules and fastjson: the json,
socket, http.client and pathlib wrappers cost more than the whole warm path may spend.
"""

from __future__ import annotations

import os

from runtimecheck import __version__, dockerapi

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

# Everything in the environment that can change which builder is used or how it is judged.
KEY_ENV = (
    "BUILDX_BUILDER",
    "BUILDX_CONFIG",
    "DOCKER_CONFIG",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "DOCKER_DEFAULT_PLATFORM",
    "DOCKER_TLS",
    "RUNTIMECHECK_IGNORE",
    "RUNTIMECHECK_FAIL_ON",
    "XDG_CONFIG_HOME",
    "HOME",
)
SEPARATOR = "\x1f"


def cache_key(
    endpoint_flags: Sequence[str],
    builder: str | None,
    platforms: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> str:
    """What identifies one kind of preflight: same key, same question."""
    env = os.environ if env is None else env
    flag = "-" if builder is None else "=" + builder  # `--builder=` is not the flag's absence
    platform = "-" if platforms is None else "=" + SEPARATOR.join(platforms)
    parts = [__version__, cwd or os.getcwd(), flag, platform, SEPARATOR.join(endpoint_flags)]
    parts += [f"{name}={env.get(name, '')}" for name in KEY_ENV]
    return "\x1e".join(parts)


# --- the witnesses: what was seen, and whether it still holds ---------------------------------


def file_witness(path: str) -> list[Any]:
    return ["file", path, file_signature(path)]


def file_signature(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def exists_witness(path: str) -> list[Any]:
    """Only whether `path` exists: for a `.git` whose contents change with every commit."""
    return ["exists", path, os.path.exists(path)]


def process_witness(pid: int, ticks: int | None) -> list[Any]:
    return ["process", pid, ticks]


def process_start(pid: int, proc: str = "/proc") -> int | None:
    """/proc/<pid>/stat's start time: a pid reused by another process starts later."""
    try:
        with open(f"{proc}/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def container_witness(socket_path: str, name: str) -> list[Any]:
    return ["container", socket_path, name, container_state(socket_path, name)]


def container_state(socket_path: str, name: str) -> list[Any] | None:
    """[id, start time] of a container; ["absent"] when there is none; None when unknowable."""
    return dockerapi.state_of(*dockerapi.request(socket_path, "GET", dockerapi.inspect_path(name)))


def container_path_witness(socket_path: str, container: str, path: str) -> list[Any]:
    return ["container-path", socket_path, container, path, path_stat(socket_path, container, path)]


def path_stat(socket_path: str, container: str, path: str) -> list[Any] | None:
    """[name, size, mode, mtime, link target] of a path in a container; ["absent"]; None when
    the daemon cannot say (the Engine API's HEAD /containers/{id}/archive, running or not)."""
    return dockerapi.stat_of(
        *dockerapi.request(socket_path, "HEAD", dockerapi.archive_path(container, path))
    )


def still_true(witnesses: Sequence[Any]) -> bool:
    """True when every witness sees what it saw when the entry was made.

    The local ones are looked at first; the daemon is then asked everything at once.
    """
    asked: list[tuple[Any, tuple[str, str, str], Any]] = []
    for w in witnesses:
        if not isinstance(w, list) or not w:
            return False
        kind = w[0]
        if kind == "file" and len(w) == 3:
            if file_signature(w[1]) != w[2]:
                return False
        elif kind == "exists" and len(w) == 3:
            if os.path.exists(w[1]) != w[2]:
                return False
        elif kind == "process" and len(w) == 3:
            if w[2] is None or process_start(w[1]) != w[2]:
                return False
        elif kind == "container" and len(w) == 4:
            if w[3] is None:
                return False
            asked.append((w[3], (w[1], "GET", dockerapi.inspect_path(w[2])), dockerapi.state_of))
        elif kind == "container-path" and len(w) == 5:
            if w[4] is None:
                return False
            asked.append(
                (w[4], (w[1], "HEAD", dockerapi.archive_path(w[2], w[3])), dockerapi.stat_of)
            )
        else:
            return False
    answers = dockerapi.requests([question for _, question, _ in asked])
    return all(parse(*answer) == seen for (seen, _, parse), answer in zip(asked, answers))
