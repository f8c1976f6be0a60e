"""The docker CLI's plugin socket: EOF on it means the parent CLI is going away."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Optional

_connection: Optional[socket.socket] = None


def watch_parent_cli() -> None:
    """Connect to DOCKER_CLI_PLUGIN_SOCKET (CLI ≥ 25) and interrupt ourselves on its EOF.

    A real SIGINT (not a flag) so that a blocking wait on a subprocess or socket is broken
    too; the normal KeyboardInterrupt path then cleans up and exits.
    """
    global _connection
    address = os.environ.get("DOCKER_CLI_PLUGIN_SOCKET")
    if not address or _connection is not None:
        return
    path = "\0" + address[1:] if address.startswith("@") else address
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(1.0)
        sock.connect(path)
        sock.settimeout(None)
    except OSError:
        sock.close()
        return
    _connection = sock
    threading.Thread(target=_wait_for_eof, args=(sock,), daemon=True).start()


def _wait_for_eof(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except OSError:
        return
    os.kill(os.getpid(), signal.SIGINT)
