"""For the behaviour probe's tests (`--deep`): its stand-in runtime, and what it must not leave
behind on this machine: containers, processes, cgroups, mounts or files."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

from support.paths import FIXTURES

# Accepts `run --keep` and drops it: the container is gone when its process exits.
DROPS_KEEP = FIXTURES / "runtimes" / "runc-drops-keep"

PROBE_ID = "runtimecheck-probe-"  # every probe's id starts so (placeholders.new_container_id)
# The behaviour probe's processes, the runtime's and its containers' own, carry one of these in
# their environment (ID.deep, ID.kill); the parse probes' (ID alone) are other tests' business:
# probes of other tests in builder containers on this machine may run meanwhile.
MARK = "RUNTIMECHECK_PROBE=" + PROBE_ID
MARK_ENDS = (b".deep", b".kill")
CONTAINERS = ("-keep", "-kill", "-plain")  # the behaviour probe's containers: ID-keep, …
CGROUP_ROOT = Path("/sys/fs/cgroup")


def probe_cgroups() -> set[str]:
    """Cgroups named after the behaviour probe's containers: /sys/fs/cgroup/ID-… (v2) and
    /sys/fs/cgroup/CONTROLLER/ID-… (v1)."""
    found = set()
    for top in [CGROUP_ROOT, *(p for p in CGROUP_ROOT.iterdir() if p.is_dir())]:
        try:
            found |= {
                str(p)
                for p in top.iterdir()
                if p.name.startswith(PROBE_ID) and p.name.endswith(CONTAINERS)
            }
        except OSError:
            continue
    return found


def probe_processes() -> set[str]:
    """`pid: command line` of every live process carrying the behaviour probe's mark in its
    environment (the runtime's, and the probe containers' own)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        marks = [v for v in environ.split(b"\0") if v.startswith(MARK.encode())]
        if state != "Z" and any(v.endswith(MARK_ENDS) for v in marks):
            command = cmdline.replace(b"\0", b" ").decode("utf-8", "replace")
            found.add(f"{pid}: {command}")
    return found


def probe_mounts(*needles: str) -> list[str]:
    """Lines of this mount namespace's mountinfo that name a probe or one of `needles`."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line for line in lines if any(n in line for n in (PROBE_ID, *needles))]


def runc_list(root: str, runc: str = "/usr/sbin/runc") -> str:
    """What `runc list` shows under the state dir `root` (empty: no container). runc makes
    the directory when it is missing: what it made is removed again."""
    made = Path(root)
    while not made.parent.exists():
        made = made.parent
    existed = made.exists()
    try:
        done = subprocess.run(
            [runc, "--root", root, "list", "--quiet"], capture_output=True, text=True, timeout=30
        )
    finally:
        if not existed:
            shutil.rmtree(made, ignore_errors=True)
    return done.stdout.strip()


class Leftovers:
    """What a probe left on this machine: taken before, compared after (other probes may run
    on this machine at the same time)."""

    def __init__(self, private_tmp: Path):
        self.tmp = private_tmp
        self.cgroups = probe_cgroups()
        self.processes = probe_processes()

    def now(self, root: Optional[str] = None) -> dict[str, object]:
        found: dict[str, object] = {}
        files = sorted(str(p) for p in self.tmp.iterdir())
        if files:
            found["files"] = files
        cgroups = probe_cgroups() - self.cgroups
        if cgroups:
            found["cgroups"] = sorted(cgroups)
        processes = probe_processes() - self.processes
        if processes:
            found["processes"] = sorted(processes)
        mounts = probe_mounts(str(self.tmp))
        if mounts:
            found["mounts"] = mounts
        if root is not None and runc_list(root):
            found["containers"] = runc_list(root)
        return found

    def assert_none(self, root: Optional[str] = None, *, within: float = 0.0) -> None:
        """Nothing left; `within`: seconds it may take (cleanup by the script's timer)."""
        deadline = time.monotonic() + within
        while True:
            left = self.now(root)
            if not left or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        assert left == {}, left
