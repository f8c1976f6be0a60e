"""As privileged as this machine allows a container to be.

Privileged containers cannot start where the capability bounding set lacks one that
`--privileged` asks for (CAP_SYS_RESOURCE on some VMs). A container that must run containers
itself (BuildKit, the behaviour probe) gets every capability the machine has instead, no
seccomp or AppArmor profile, and the cgroup filesystem writable.
"""

from __future__ import annotations

from pathlib import Path

# Capability numbers and the names docker takes (linux/capability.h).
CAPABILITIES = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
]

SECURITY_OPTS = ["seccomp=unconfined", "apparmor=unconfined"]
CGROUP_FS = "/sys/fs/cgroup"


def missing_capabilities() -> list[str]:
    """The capabilities this machine cannot give a container (not in our bounding set)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            bounding = int(line.split()[1], 16)
            return [name for bit, name in enumerate(CAPABILITIES) if not bounding >> bit & 1]
    return []


def container_settings() -> dict:
    """The docker SDK's `containers.create` keywords for it."""
    return {
        "cap_add": ["ALL"],
        "cap_drop": missing_capabilities(),
        "security_opt": list(SECURITY_OPTS),
        "volumes": {CGROUP_FS: {"bind": CGROUP_FS, "mode": "rw"}},
    }


def run_flags() -> list[str]:
    """The same as `docker run` flags."""
    flags = ["--cap-add", "ALL"]
    for name in missing_capabilities():
        flags += ["--cap-drop", name]
    for option in SECURITY_OPTS:
        flags += ["--security-opt", option]
    return [*flags, "-v", f"{CGROUP_FS}:{CGROUP_FS}:rw"]
