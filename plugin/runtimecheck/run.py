"""The one subprocess helper: every external command goes through here, always bounded."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

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
    input: Optional[bytes] = None,
    env: Optional[dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> Completed:
    """Run argv (never through a shell) with a timeout; kill its whole process group on expiry.

    Never raises for a failing or missing program: the outcome is in the returned value.
    """
    args = tuple(str(a) for a in argv)
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as e:
        return Completed(args, None, b"", b"", error=f"{e.strerror or e}: {args[0]}")
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        return Completed(args, None, out, err, timed_out=True)
    except BaseException:
        # Interrupted (Ctrl-C, the parent CLI went away): leave no process behind.
        _kill_group(proc)
        proc.wait()
        raise
    return Completed(args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
