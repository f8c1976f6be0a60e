"""Where BuildKit runs, as far as what a failing invocation costs depends on it. Pure.

BuildKit decides how it records a RUN step's resource usage once, when it starts: on cgroup
v2 (`statfs("/sys/fs/cgroup")` says CGROUP2_SUPER_MAGIC) it runs the runtime's `delete` in
the background and drops its error; otherwise (cgroup v1, a hybrid host's tmpfs, nothing
mounted there) and when rootless (its containers get no cgroups path) delete's error fails
the step (moby/buildkit executor/resources/monitor.go, v0.12.0 … v0.32.2). What statfs
says of a path is the file system of the last mount on it, which is what /proc/<pid>/mountinfo
lists last for that mount point; that is read here, from text, wherever it came from (this
host, dockerd's /proc entry, the probe script inside a builder container).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from runtimecheck.facts import CGROUP_V1, CGROUP_V2

CGROUP_MOUNT = "/sys/fs/cgroup"
CGROUP2_FSTYPE = "cgroup2"
# A user namespace mapping every uid onto itself is the initial one (moby/sys userns
# RunningInUserNS reads /proc/self/uid_map for exactly this).
_IDENTITY_MAP = ("0", "0", "4294967295")
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class CgroupMount:
    fstype: Optional[str]  # the file system at /sys/fs/cgroup; None: nothing mounted there
    line: str  # the mountinfo line it was read from ("" when none)

    @property
    def version(self) -> str:
        """CGROUP_V2 when BuildKit there records resources through cgroup v2, else v1."""
        return CGROUP_V2 if self.fstype == CGROUP2_FSTYPE else CGROUP_V1

    def describe(self) -> str:
        if self.fstype is None:
            return f"nothing mounted at {CGROUP_MOUNT} (BuildKit treats that as cgroup v1)"
        if self.fstype == CGROUP2_FSTYPE:
            return f"cgroup2 at {CGROUP_MOUNT}"
        return f"{self.fstype} at {CGROUP_MOUNT} (cgroup v1 or hybrid)"


@dataclass(frozen=True)
class Seen:
    """What the probe script's `cgroup` record says of the place it ran in."""

    mount: Optional[CgroupMount]  # None: /proc/self/mountinfo could not be read
    uid_map: str  # /proc/self/uid_map
    uid_line: str  # the `Uid:` line of /proc/self/status

    def user_namespace(self) -> Optional[bool]:
        return in_user_namespace(self.uid_map)

    def uid(self) -> Optional[int]:
        return effective_uid(self.uid_line)


def from_record(status: str, line: str, uid_map: str, uid_line: str) -> Seen:
    if status == "unreadable":
        mount = None
    elif status == "none":
        mount = CgroupMount(None, "")
    else:
        mount = CgroupMount(status, line.strip())
    return Seen(mount, uid_map, uid_line)


def cgroup_mount(mountinfo: str) -> CgroupMount:
    """The last mount at /sys/fs/cgroup in a /proc/<pid>/mountinfo text."""
    found = CgroupMount(None, "")
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5 or _unescape(fields[4]) != CGROUP_MOUNT:
            continue
        _, sep, after = line.partition(" - ")
        fstype = after.split()[0] if sep and after.split() else None
        if fstype:
            found = CgroupMount(fstype, line.strip())
    return found


def cgroup_of(mountinfo: Optional[str], unreadable: str, who: str) -> tuple[Optional[str], str]:
    """(cgroup version, how it was learnt) of a process from its mountinfo text; `unreadable`
    says why there is none."""
    if mountinfo is None:
        return None, unreadable
    mount = cgroup_mount(mountinfo)
    return mount.version, f"{mount.describe()} for {who}"


def in_user_namespace(uid_map: str) -> Optional[bool]:
    """Whether /proc/<pid>/uid_map is that of a user namespace other than the initial one."""
    lines = [line.split() for line in uid_map.splitlines() if line.strip()]
    if not lines:
        return None
    return not (len(lines) == 1 and tuple(lines[0]) == _IDENTITY_MAP)


def effective_uid(status_uid_line: str) -> Optional[int]:
    """The effective uid in the `Uid:` line of /proc/<pid>/status (real, effective, …)."""
    fields = status_uid_line.split()
    if len(fields) >= 3 and fields[0] == "Uid:" and fields[2].isdigit():
        return int(fields[2])
    return None


def read_mountinfo(pid: str = "self", proc: Path = Path("/proc")) -> tuple[Optional[str], str]:
    """(the mountinfo text of `pid`, or None; why not)."""
    path = proc / pid / "mountinfo"
    try:
        return path.read_text(encoding="utf-8", errors="replace"), ""
    except OSError as e:
        return None, f"{path} could not be read: {e.strerror or e}"


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040 …)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)
