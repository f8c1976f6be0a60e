"""The one subprocess helper: every external command goes through here, always bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Optional

DEFAULT_TIMEOUT = 10.0


@dataclass
class Completed:
    argv: tuple[str, ...]
    returncode: Optional[int]  # None when it timed out; negative: killed by that signal
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    error: Optional[str] = None  # could not be started at all (missing, not executable, …)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def run(
    argv: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Optional[dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> Completed:
    """Run argv (never through a shell) with a timeout; kill its whole process group on expiry.

    Never raises for a failing or missing program: the outcome is in the returned value. Each
    stream keeps its first MAX_OUTPUT bytes (a runtime printing without end costs no memory),
    and a descendant that escaped the process group and holds the pipes open cannot make
    this wait past the timeout.
    """
    args = tuple(str(a) for a in argv)
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as e:
        return Completed(args, None, b"", b"", error=f"{e.strerror or e}: {args[0]}")
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Drain(proc.stdout), _Drain(proc.stderr)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        timed_out = True
    except BaseException:
        # Interrupted (Ctrl-C, the parent CLI went away): leave no process behind.
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        out.finish()
        err.finish()
    return Completed(args, None if timed_out else proc.returncode, out.data, err.data, timed_out)


MAX_OUTPUT = 1 << 20
_DRAIN_GRACE_S = 1.0


class _Drain:
    """Reads a pipe to its end in a thread, keeping only the first MAX_OUTPUT bytes."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: list[bytes] = []
        self._kept = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while chunk := self._pipe.read1(65536):  # type: ignore[attr-defined]
                if self._kept < MAX_OUTPUT:
                    chunk = chunk[: MAX_OUTPUT - self._kept]
                    self._chunks.append(chunk)
                    self._kept += len(chunk)
        except (OSError, ValueError):
            pass

    def finish(self) -> None:
        # A descendant that escaped the process group may hold the pipe open for as long as
        # it likes: after a grace period the (daemon) reader is left behind with it.
        self._thread.join(_DRAIN_GRACE_S)

    @property
    def data(self) -> bytes:
        return b"".join(list(self._chunks))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
