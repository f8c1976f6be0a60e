"""The build preflight's warm path: is an earlier "go ahead" still true?

A full check that let a build go ahead leaves a cache entry holding *witnesses*: each thing
its answer depended on, with the value seen then: the files it read (docker's config.json,
the context, buildx's `current`, `defaults/`, the builder's instance file, the settings
files, the knowledge data), each builder container's id and start time, dockerd's process
start and the runtime binary. Re-reading those (a few `stat`s, one small Engine API GET per
container) is all a repeated build costs; any difference sends the build through the full
check again.

This module runs before every build, so it imports only C modules and fastjson: the json,
socket, http.client and pathlib wrappers cost more than the whole warm path may spend.
"""

from __future__ import annotations

import _socket
import os

from . import __version__, fastjson

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
    "RUNTIMECHECK_IGNORE",
    "RUNTIMECHECK_FAIL_ON",
    "XDG_CONFIG_HOME",
    "HOME",
)
SEPARATOR = "\x1f"
HTTP_TIMEOUT_S = 2.0


def cache_key(
    endpoint_flags: Sequence[str],
    builder: str | None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> str:
    """What identifies one kind of preflight: same key, same question."""
    env = os.environ if env is None else env
    flag = "-" if builder is None else "=" + builder  # `--builder=` is not the flag's absence
    parts = [__version__, cwd or os.getcwd(), flag, SEPARATOR.join(endpoint_flags)]
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


def process_start(pid: int) -> int | None:
    """/proc/<pid>/stat's start time: a pid reused by another process starts later."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def container_witness(socket_path: str, name: str) -> list[Any]:
    return ["container", socket_path, name, container_state(socket_path, name)]


def container_state(socket_path: str, name: str) -> list[Any] | None:
    """[id, start time] of a container; ["absent"] when there is none; None when unknowable."""
    status, doc = get_json(socket_path, f"/containers/{name}/json")
    if status == 404:
        return ["absent"]
    if status != 200 or not isinstance(doc, dict):
        return None
    state = doc.get("State") or {}
    if not isinstance(state, dict):
        return None
    return [doc.get("Id"), state.get("StartedAt"), bool(state.get("Running"))]


def still_true(witnesses: Sequence[Any]) -> bool:
    """True when every witness sees what it saw when the entry was made."""
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
            if w[3] is None or container_state(w[1], w[2]) != w[3]:
                return False
        else:
            return False
    return True


# --- one GET on a unix-socket Engine API ---------------------------------------------------------


def socket_path(host: str) -> str | None:
    """The filesystem path of a `unix://` host; None for any other kind."""
    return host[len("unix://") :] if host.startswith("unix://") else None


def get_json(socket_path: str, path: str, timeout: float = HTTP_TIMEOUT_S) -> tuple[int, Any]:
    """(status, JSON body) of `GET path`; (0, None) when the daemon cannot be asked."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        request = f"GET {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n"
        sock.sendall(request.encode("ascii"))
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (OSError, UnicodeEncodeError):
        return 0, None
    finally:
        sock.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, None
    if b"transfer-encoding: chunked" in head.lower():
        return 0, None  # an HTTP/1.0 request never gets one; do not guess
    try:
        return status, fastjson.loads(body) if body.strip() else None
    except ValueError:
        return status, None
