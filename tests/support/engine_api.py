"""A stand-in for the two Engine API requests the warm path makes, on a unix socket.

It answers `GET /containers/{name}/json` and `HEAD /containers/{id}/archive?path=P` from
what a test set, so that the cache's container witnesses are decided without an engine;
the tests on the real engine (tests/builders/test_fingerprint.py) prove the same against
dockerd. Answers are shaped like dockerd's: the state under "State", the path stat base64
JSON in the X-Docker-Container-Path-Stat header.
"""

from __future__ import annotations

import base64
import json
import socketserver
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class EngineAPI:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = str(socket_path)
        self.containers: dict[str, dict[str, Any]] = {}  # name → inspect document
        self.paths: dict[tuple[str, str], dict[str, Any]] = {}  # (container, path) → stat
        self.asked: list[tuple[str, str]] = []

    def answer(self, method: str, target: str) -> tuple[int, dict[str, str], bytes]:
        self.asked.append((method, target))
        url = urllib.parse.urlsplit(target)
        parts = url.path.split("/")
        if method == "GET" and len(parts) == 4 and parts[1] == "containers" and parts[3] == "json":
            doc = self.containers.get(parts[2])
            if doc is None:
                return 404, {}, b'{"message": "No such container"}'
            return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode()
        if method == "HEAD" and len(parts) == 4 and parts[3] == "archive":
            path = urllib.parse.parse_qs(url.query)["path"][0]
            stat = self.paths.get((parts[2], path))
            if stat is None:
                return 404, {}, b""
            header = base64.b64encode(json.dumps(stat).encode()).decode()
            return 200, {"X-Docker-Container-Path-Stat": header}, b""
        return 400, {}, b""


@contextmanager
def engine_api(socket_path: Path) -> Iterator[EngineAPI]:
    api = EngineAPI(socket_path)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = self.rfile.readline().decode("latin-1").split()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            status, headers, body = api.answer(request[0], request[1])
            head = [f"HTTP/1.0 {status} X", f"Content-Length: {len(body)}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode())
            if request[0] != "HEAD":
                self.wfile.write(body)

    server = socketserver.ThreadingUnixStreamServer(str(socket_path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
