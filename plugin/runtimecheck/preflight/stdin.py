"""A Dockerfile read from stdin (`-f -`) and handed on to buildx byte for byte.

The bytes read here are fed back, ahead of whatever stdin still holds, through a pipe that
becomes buildx's stdin; a detached process does the feeding, so buildx sees one unbroken
stream and its arguments stay as they were given.
"""

from __future__ import annotations

import os
import select
import time

LIMIT = 4 * 1024 * 1024  # more is no Dockerfile anyone writes by hand: not read further
TIMEOUT_S = 10.0


def take(limit: int = LIMIT, timeout: float = TIMEOUT_S, fd: int = 0) -> tuple[bytes, bool]:
    """Up to `limit` bytes of `fd`, and whether that was all of it (EOF seen in time)."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + timeout
    while size < limit:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b"".join(chunks), False
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def give_back(taken: bytes, fd: int = 0) -> None:
    """Make `fd` read `taken`, then the rest of what `fd` reads now."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked processes
        try:
            os.close(read_end)
            if os.fork() != 0:
                os._exit(0)  # the feeder is orphaned, so no one has to wait for it
            _feed(taken, fd, write_end)
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    os.close(write_end)
    os.dup2(read_end, fd)
    os.close(read_end)


def _feed(taken: bytes, source: int, sink: int) -> None:  # pragma: no cover - forked
    try:
        _write_all(sink, taken)
        while True:
            chunk = os.read(source, 65536)
            if not chunk:
                return
            _write_all(sink, chunk)
    except OSError:  # the reader went away (EPIPE): nothing more to give
        return


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
