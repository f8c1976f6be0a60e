"""One JSON GET to the Docker Engine API over its unix socket, with the standard library only.

For the fast path that runs before every build: the docker SDK and requests cost more to
import than the whole check the fast path replaces.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Optional


class EngineHTTPError(Exception):
    pass


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def socket_path(host: str) -> Optional[str]:
    """The filesystem path of a `unix://` host; None for any other kind."""
    return host[len("unix://") :] if host.startswith("unix://") else None


def get_json(host: str, path: str, *, timeout: float = 2.0) -> tuple[int, Any]:
    """(HTTP status, decoded JSON body) of `GET path` on a unix-socket daemon.

    Raises EngineHTTPError when the host is not a unix socket, the daemon does not answer in
    time, or the body is not JSON.
    """
    sock_path = socket_path(host)
    if sock_path is None:
        raise EngineHTTPError(f"not a unix socket: {host}")
    conn = _UnixConnection(sock_path, timeout)
    try:
        conn.request("GET", path, headers={"Host": "docker", "Accept": "application/json"})
        response = conn.getresponse()
        body = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as e:
        raise EngineHTTPError(f"GET {path} on {host}: {e}") from None
    finally:
        conn.close()
    try:
        return status, json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError) as e:
        raise EngineHTTPError(f"GET {path} on {host}: not JSON ({e})") from None
