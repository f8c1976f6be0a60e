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
    return _state_of(*request(socket_path, "GET", _inspect_path(name)))


def container_path_witness(socket_path: str, container: str, path: str) -> list[Any]:
    return ["container-path", socket_path, container, path, path_stat(socket_path, container, path)]


def path_stat(socket_path: str, container: str, path: str) -> list[Any] | None:
    """[name, size, mode, mtime, link target] of a path in a container; ["absent"]; None when
    the daemon cannot say (the Engine API's HEAD /containers/{id}/archive, running or not)."""
    return _stat_of(*request(socket_path, "HEAD", _archive_path(container, path)))


def _inspect_path(name: str) -> str:
    return f"/containers/{name}/json"


def _archive_path(container: str, path: str) -> str:
    return f"/containers/{container}/archive?path={_query_escape(path)}"


def _state_of(status: int, head: bytes, body: bytes) -> list[Any] | None:
    if status == 404:
        return ["absent"]
    doc = _json_body(status, head, body)
    if status != 200 or not isinstance(doc, dict):
        return None
    state = doc.get("State") or {}
    if not isinstance(state, dict):
        return None
    return [doc.get("Id"), state.get("StartedAt"), bool(state.get("Running"))]


def _stat_of(status: int, head: bytes, body: bytes) -> list[Any] | None:
    import binascii

    if status == 404:
        return ["absent"]
    if status != 200:
        return None
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-docker-container-path-stat":
            try:
                doc = fastjson.loads(binascii.a2b_base64(value.strip()).decode("utf-8"))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return None
            if not isinstance(doc, dict):
                return None
            return [doc.get(k) for k in ("name", "size", "mode", "mtime", "linkTarget")]
    return None


def _query_escape(text: str) -> str:
    safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/"
    return "".join(c if c in safe else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


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
            asked.append((w[3], (w[1], "GET", _inspect_path(w[2])), _state_of))
        elif kind == "container-path" and len(w) == 5:
            if w[4] is None:
                return False
            asked.append((w[4], (w[1], "HEAD", _archive_path(w[2], w[3])), _stat_of))
        else:
            return False
    answers = requests([question for _, question, _ in asked])
    return all(parse(*answer) == seen for (seen, _, parse), answer in zip(asked, answers))


# --- one GET on a unix-socket Engine API ---------------------------------------------------------


def socket_path(host: str) -> str | None:
    """The filesystem path of a `unix://` host; None for any other kind."""
    return host[len("unix://") :] if host.startswith("unix://") else None


def get_json(socket_path: str, path: str, timeout: float = HTTP_TIMEOUT_S) -> tuple[int, Any]:
    """(status, JSON body) of `GET path`; (0, None) when the daemon cannot be asked."""
    status, head, body = request(socket_path, "GET", path, timeout)
    return status, _json_body(status, head, body)


def _json_body(status: int, head: bytes, body: bytes) -> Any:
    if status == 0 or b"transfer-encoding: chunked" in head.lower():
        return None  # an HTTP/1.0 request never gets a chunked answer; do not guess
    try:
        return fastjson.loads(body) if body.strip() else None
    except ValueError:
        return None


def request(
    socket_path: str, method: str, path: str, timeout: float = HTTP_TIMEOUT_S
) -> tuple[int, bytes, bytes]:
    """(status, header bytes, body) of one HTTP/1.0 request; status 0: no answer."""
    return requests([(socket_path, method, path)], timeout)[0]


def requests(
    asked: Sequence[tuple[str, str, str]], timeout: float = HTTP_TIMEOUT_S
) -> list[tuple[int, bytes, bytes]]:
    """Several HTTP/1.0 requests (socket path, method, path), each on its own connection, all
    under way at once: the daemon answers them in parallel. (0, b"", b""): no answer."""
    import select

    answers: list[tuple[int, bytes, bytes]] = [(0, b"", b"")] * len(asked)
    open_: dict[int, tuple[int, _socket.socket, list[bytes]]] = {}
    poll = select.poll()
    for index, (socket_path, method, path) in enumerate(asked):
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            head = f"{method} {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n"
            sock.sendall(head.encode("ascii"))
        except (OSError, UnicodeEncodeError):
            sock.close()
            continue
        open_[sock.fileno()] = (index, sock, [])
        poll.register(sock.fileno(), select.POLLIN)
    deadline = _monotonic() + timeout
    while open_:
        left = deadline - _monotonic()
        if left <= 0:
            break
        for fd, _ in poll.poll(left * 1000):
            index, sock, chunks = open_[fd]
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
                chunks.clear()
            if chunk:
                chunks.append(chunk)
                continue
            poll.unregister(fd)
            del open_[fd]
            sock.close()
            answers[index] = _parse_response(b"".join(chunks))
    for _, sock, _ in open_.values():
        sock.close()
    return answers


def _parse_response(raw: bytes) -> tuple[int, bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, b"", b""
    return status, head, body


def _monotonic() -> float:
    import time

    return time.monotonic()
