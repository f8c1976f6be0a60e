"""The docker CLI's plugin socket: EOF on it means the parent CLI is going away."""

from __future__ import annotations

# The C modules under socket/threading/signal: the wrappers import enum and friends, which
# costs more than this whole watcher on the build preflight's start-up path.
import _signal
import _socket
import _thread
import os

_connection: _socket.socket | None = None


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
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(1.0)
        sock.connect(path)
        sock.settimeout(None)
    except OSError:
        sock.close()
        return
    _connection = sock
    # Started ignoring SIGINT (a background job of a script), the plugin would outlive the
    # CLI: the EOF's SIGINT must interrupt all the same, as the CLI's own handling does.
    if _signal.getsignal(_signal.SIGINT) == _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    _thread.start_new_thread(_wait_for_eof, (sock,))


def _wait_for_eof(sock: _socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except OSError:
        return
    os.kill(os.getpid(), _signal.SIGINT)
