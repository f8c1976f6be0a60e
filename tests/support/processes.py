"""Running the plugin and other programs as processes of their own, the way users start them."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from support.paths import PLUGIN

Arg = Union[str, Path]


def run(argv: Sequence[Arg], *, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess:
    """`argv` to its end: its output captured as text, no input unless given, and its exit
    status returned, never raised."""
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, check=False, **kw
    )


def entry_point(*args: Arg, **kw: Any) -> subprocess.CompletedProcess:
    """`python -m runtimecheck ARGS…`: the console script's main, in a python with site."""
    return run([sys.executable, "-m", "runtimecheck", *args], **kw)


def isolated_python(code: str, *args: Arg, **kw: Any) -> subprocess.CompletedProcess:
    """`python -I -S -c CODE ARGS…`, as the launchers start the plugin: no site, so that
    what CODE imports is the plugin's doing alone. CODE puts the checkout's plugin/ on the
    path itself (PLUGIN)."""
    return run([sys.executable, "-I", "-S", "-c", code, *args], **kw)


def start_interruptible(argv: Sequence[Arg], **kw: Any) -> subprocess.Popen:
    """`argv` started to be interrupted by the test: the signals it is sent are at their
    defaults in it, whatever the suite inherited (`nohup` ignores SIGHUP, and a shell's
    background job SIGINT and SIGQUIT; a shell cannot trap what it was started ignoring)."""
    return subprocess.Popen([str(a) for a in argv], preexec_fn=_default_signals, **kw)


def _default_signals() -> None:
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


__all__ = ["PLUGIN", "entry_point", "isolated_python", "run", "start_interruptible"]
