"""Which process on this machine holds a unix socket, and what /proc shows of it.

/proc/net/unix lists the sockets of this network namespace with the path each was bound to;
/proc/<pid>/fd links name the socket inodes a process holds (readable for another user's
process only as root). Every scan stops at its deadline, every read at its size.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

PROC = Path("/proc")


def holders(socket_path: str, proc: Path = PROC, *, deadline: float) -> list[int]:
    """The pids that hold a socket bound at `socket_path`, as far as the deadline allows."""
    inodes = socket_inodes(socket_path, proc, deadline=deadline)
    return pids_holding(inodes, proc, deadline) if inodes else []


def socket_inodes(socket_path: str, proc: Path = PROC, *, deadline: float) -> set[str]:
    """Inodes of the sockets bound at `socket_path`, under whichever of its names was bound.

    /proc/net/unix shows the path given to bind(): systemd's docker.socket binds
    /run/docker.sock, which clients reach as /var/run/docker.sock, and the other way round.
    """
    real = os.path.realpath(socket_path)
    base = os.path.basename(socket_path)
    inodes = set()
    try:
        with open(proc / "net" / "unix", encoding="utf-8", errors="replace") as table:
            table.readline()
            for line in table:  # one socket a line: long on a busy host, so read as it comes
                if time.monotonic() > deadline:
                    break
                fields = line.split()
                if len(fields) < 8:
                    continue
                bound = fields[7]
                if bound == socket_path or (
                    os.path.basename(bound) == base and os.path.realpath(bound) == real
                ):
                    inodes.add(fields[6])
    except OSError:
        return set()
    return inodes


def pids_holding(inodes: set[str], proc: Path, deadline: float) -> list[int]:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    found = []
    for pid in all_pids(proc):
        if time.monotonic() > deadline:
            break
        fd_dir = proc / str(pid) / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd_dir / fd) in wanted:
                    found.append(pid)
                    break
            except OSError:
                continue
    return found


def all_pids(proc: Path = PROC) -> list[int]:
    try:
        return sorted(int(n) for n in os.listdir(proc) if n.isdigit())
    except OSError:
        return []


def comm(pid: int, proc: Path = PROC) -> Optional[str]:
    try:
        return (proc / str(pid) / "comm").read_text().strip()
    except OSError:
        return None


def same_root(pid: int, proc: Path = PROC) -> Optional[bool]:
    """Whether the process's / is ours (so a path it names is the same file here)."""
    try:
        theirs = os.stat(proc / str(pid) / "root")
        ours = os.stat("/")
    except OSError:
        return None
    return (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino)


def parse_environ(raw: bytes) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, eq, value = item.decode("utf-8", "replace").partition("=")
        if eq and key:
            env[key] = value
    return env
