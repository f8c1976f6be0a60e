"""A stand-in buildkitd process on this machine (the real daemon cannot be installed here).

It is a Python script named `buildkitd`, so the kernel names the process buildkitd as it does
the real one. It answers `--version` as BuildKit v0.12.5 does (cmd/buildkitd/main.go: app
name, package, version, revision) and otherwise listens on its `--addr unix://PATH` socket,
accepting and closing connections. It runs no runtime: the runtime a check judges is the
real binary its flags, config or PATH name, found and probed by the check itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

VERSION_LINE = "buildkitd github.com/moby/buildkit v0.12.5 bac3f2b673f3f9d33e79046008e7a38e856b3dc6"

SCRIPT = f"""#!{os.path.realpath(sys.executable)}
import signal, socket, sys
args = sys.argv[1:]
if args[:1] in (["--version"], ["-v"]):
    print({VERSION_LINE!r})
    sys.exit(0)
addr = None
for i, arg in enumerate(args):
    if arg == "--addr" and i + 1 < len(args):
        addr = args[i + 1]
    elif arg.startswith("--addr="):
        addr = arg[len("--addr="):]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = socket.socket(socket.AF_UNIX)
server.bind(addr[len("unix://"):])
server.listen(8)
while True:
    conn, _ = server.accept()
    conn.close()
"""

READY_TRIES = 200  # × 0.05 s: how long a start may take before the test gives up


def install(directory: Path) -> Path:
    script = directory / "buildkitd"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    return script


def start(
    script: Path,
    sock: Path,
    flags: Sequence[str] = (),
    *,
    env: dict[str, str],
    prefix: Sequence[str] = (),
    cwd: Optional[Path] = None,
) -> subprocess.Popen:
    """`[prefix…] buildkitd --addr unix://SOCK FLAGS…`, once its socket accepts connections."""
    proc = subprocess.Popen(
        [*prefix, str(script), "--addr", f"unix://{sock}", *flags],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(READY_TRIES):
        if proc.poll() is not None:
            raise RuntimeError(f"the stand-in buildkitd exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        if sock.exists():
            probe = socket.socket(socket.AF_UNIX)
            try:
                probe.connect(str(sock))
                return proc
            except OSError:
                pass
            finally:
                probe.close()
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"the stand-in buildkitd did not listen on {sock}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
