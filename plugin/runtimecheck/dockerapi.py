"""The Docker Engine API over a local unix socket, without the SDK: a few small requests.

For the paths that must stay cheap (the build preflight's cache, the witnesses of a verdict):
HTTP/1.0 on a socket each, several under way at once. C modules and fastjson only.
"""

from __future__ import annotations

import _socket

from . import fastjson

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

HTTP_TIMEOUT_S = 2.0


def inspect_path(name: str) -> str:
    return f"/containers/{name}/json"


def archive_path(container: str, path: str) -> str:
    return f"/containers/{container}/archive?path={_query_escape(path)}"


def state_of(status: int, head: bytes, body: bytes) -> list[Any] | None:
    if status == 404:
        return ["absent"]
    doc = _json_body(status, head, body)
    if status != 200 or not isinstance(doc, dict):
        return None
    state = doc.get("State") or {}
    if not isinstance(state, dict):
        return None
    return [doc.get("Id"), state.get("StartedAt"), bool(state.get("Running"))]


def stat_of(status: int, head: bytes, body: bytes) -> list[Any] | None:
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


def call(
    socket_path: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    timeout: float = HTTP_TIMEOUT_S,
) -> tuple[int, bytes, bytes]:
    """(status, header bytes, body) of one HTTP/1.0 request with a JSON `body`, the whole
    answer within `timeout`. Raises OSError (TimeoutError when the time is up)."""
    deadline = _monotonic() + timeout
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        head = (
            f"{method} {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode("ascii") + body)
        chunks = []
        while True:
            left = deadline - _monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete answer to {method} {path} within {timeout:g} s")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    answer = _parse_response(b"".join(chunks))
    if answer[0] == 0:
        raise ConnectionError(f"no HTTP answer to {method} {path}")
    return answer


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
