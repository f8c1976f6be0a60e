"""Where BuildKit runs: the file system at /sys/fs/cgroup and the user, from /proc text.

BuildKit's own test is statfs("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC; `stat -f -c %t`
asks the same question of this machine, independently of the mountinfo read here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from runtimecheck import local_runtimes
from runtimecheck.facts import CGROUP_V1, CGROUP_V2
from runtimecheck.probe import environment
from support.paths import FIXTURES

CGROUP2_SUPER_MAGIC = "63677270"
DOCKER_DESKTOP = FIXTURES / "proc" / "mountinfo-docker-desktop-cgroup2.txt"


def statfs_type(path: str = "/sys/fs/cgroup") -> str:
    done = subprocess.run(
        ["stat", "-f", "-c", "%t", path], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_this_machine_as_statfs_sees_it():
    mount = environment.cgroup_mount(Path("/proc/self/mountinfo").read_text())
    expected = CGROUP_V2 if statfs_type() == CGROUP2_SUPER_MAGIC else CGROUP_V1
    assert mount.version == expected
    assert mount.line.split(" - ")[0].split()[4] == "/sys/fs/cgroup"


def test_a_recorded_cgroup_v2_container():
    mount = environment.cgroup_mount(DOCKER_DESKTOP.read_text())
    assert (mount.fstype, mount.version) == ("cgroup2", CGROUP_V2)
    assert mount.describe() == "cgroup2 at /sys/fs/cgroup"
    assert mount.line.startswith("486 477 0:30 / /sys/fs/cgroup ")


def test_a_hybrid_host_counts_as_v1():
    # The unified hierarchy under /sys/fs/cgroup/unified is not what BuildKit looks at.
    text = (
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    )
    mount = environment.cgroup_mount(text)
    assert (mount.fstype, mount.version) == ("tmpfs", CGROUP_V1)
    assert "cgroup v1 or hybrid" in mount.describe()


def test_the_last_mount_on_the_path_is_the_one_seen():
    text = (
        "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
        "90 31 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
    )
    assert environment.cgroup_mount(text).version == CGROUP_V2


def test_nothing_mounted_there():
    mount = environment.cgroup_mount("22 1 0:21 / /proc rw - proc proc rw\n")
    assert (mount.fstype, mount.version) == (None, CGROUP_V1)
    assert "nothing mounted" in mount.describe()


def test_escaped_mount_points_are_compared_unescaped():
    text = "40 30 0:26 / /sys/fs/cgroup\\040x rw - cgroup2 cgroup2 rw\n"
    assert environment.cgroup_mount(text).fstype is None


@pytest.mark.parametrize(
    ("uid_map", "inside"),
    [
        ("         0          0 4294967295\n", False),
        ("         0       1000          1\n         1     100000      65536\n", True),
        ("", None),
    ],
)
def test_user_namespace_from_uid_map(uid_map, inside):
    assert environment.in_user_namespace(uid_map) is inside


def test_effective_uid_from_the_status_line():
    assert environment.effective_uid("Uid:\t1000\t1000\t1000\t1000\n") == 1000
    assert environment.effective_uid("Gid:\t0\t0\t0\t0") is None


def test_the_record_of_the_probe_script():
    seen = environment.from_record(
        "cgroup2",
        "486 477 0:30 / /sys/fs/cgroup ro - cgroup2 cgroup rw",
        "0 0 4294967295",
        "Uid:\t0\t0\t0\t0",
    )
    assert seen.mount is not None and seen.mount.version == CGROUP_V2
    assert (seen.uid(), seen.user_namespace()) == (0, False)
    assert environment.from_record("none", "", "", "").mount == environment.CgroupMount(None, "")
    assert environment.from_record("unreadable", "", "", "").mount is None


def test_the_host_for_a_runtime_judged_here():
    cgroup, rootless, how = local_runtimes.host_environment()
    expected = CGROUP_V2 if statfs_type() == CGROUP2_SUPER_MAGIC else CGROUP_V1
    assert cgroup == expected
    assert rootless is (os.geteuid() != 0)
    assert "on this host" in how

    cgroup, rootless, how = local_runtimes.host_environment(DOCKER_DESKTOP.read_text(), euid=1000)
    assert (cgroup, rootless) == (CGROUP_V2, True)
    assert how == "cgroup2 at /sys/fs/cgroup on this host; rootless: run by uid 1000"
