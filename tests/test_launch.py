"""The zipapp's start: the archive is named explicitly, and upgrades do not pile up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtimecheck import launch
from support.paths import PLUGIN
from support.processes import run

OURS = "docker-runtimecheck"


def build_id(n: int) -> str:
    return f"{n:064x}"


def unpacked(root: Path, name: str, bid: str) -> Path:
    tree = root / f"{name}_{bid}"
    (tree / "site-packages").mkdir(parents=True)
    (root / f".{name}_{bid}_lock").write_text("")
    return tree


def hold(tree: Path) -> subprocess.Popen:
    """Another process running from `tree`: it holds the tree's in-use lock until killed."""
    code = (
        f"import sys; sys.path.insert(0, {str(PLUGIN)!r}); from runtimecheck import launch\n"
        f"assert launch._hold({str(tree)!r}); print('held', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_older_builds_of_this_program_go_and_nothing_else(tmp_path: Path) -> None:
    own = unpacked(tmp_path, OURS, build_id(1))
    older = unpacked(tmp_path, OURS, build_id(2))
    in_use = unpacked(tmp_path, OURS, build_id(3))
    other_program = unpacked(tmp_path, "other-tool", build_id(4))
    renamed_copy = unpacked(tmp_path, f"{OURS}.pyz", build_id(5))
    being_unpacked = tmp_path / f"{OURS}_{build_id(6)}.tmp"
    being_unpacked.mkdir()
    not_a_build = tmp_path / f"{OURS}_backup"
    not_a_build.mkdir()
    user_file = tmp_path / f"{OURS}_{build_id(7)}"
    user_file.write_text("not a directory")

    holder = hold(in_use)
    try:
        removed = launch.remove_older_trees(str(own))
    finally:
        holder.kill()
        holder.wait()
    assert removed == [older.name]
    assert not older.exists()
    assert not (tmp_path / f".{older.name}_lock").exists()
    for kept in (own, in_use, other_program, renamed_copy, being_unpacked, not_a_build):
        assert kept.is_dir(), kept
    assert user_file.read_text() == "not a directory"
    assert not [p for p in tmp_path.iterdir() if ".removing-" in p.name]


def test_a_tree_that_is_no_build_id_removes_nothing(tmp_path: Path) -> None:
    unpacked(tmp_path, OURS, build_id(2))
    strange = tmp_path / f"{OURS}_dev"
    (strange / "site-packages").mkdir(parents=True)
    assert launch.remove_older_trees(str(strange)) == []
    assert len(list(tmp_path.iterdir())) == 3


def test_a_vanished_tree_is_not_held(tmp_path: Path) -> None:
    tree = unpacked(tmp_path, OURS, build_id(1))
    (tree / "site-packages").rmdir()
    assert launch._hold(str(tree)) is False


@pytest.mark.slow
def test_the_first_run_of_a_new_build_removes_the_unused_older_one(
    zipapp: Path, tmp_path: Path, zipapp_env: dict
) -> None:
    root = tmp_path / "shiv"
    root.mkdir()
    older = unpacked(root, OURS, build_id(2))
    in_use = unpacked(root, OURS, build_id(3))
    env = dict(zipapp_env, SHIV_ROOT=str(root))
    holder = hold(in_use)
    try:
        first = run([zipapp, "--version"], env=env)
    finally:
        holder.kill()
        holder.wait()
    assert first.returncode == 0, first.stderr
    names = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert older.name not in names
    assert in_use.name in names
    assert len(names) == 2  # the new build and the one in use

    # Later runs start from the unpacked tree and remove nothing more.
    in_use_mtime = in_use.stat().st_mtime_ns
    time.sleep(0.01)
    again = run([zipapp, "--version"], env=env)
    assert again.returncode == 0, again.stderr
    assert in_use.is_dir() and in_use.stat().st_mtime_ns == in_use_mtime


def entered(entry: str, shows: str, *args: str, env: dict | None = None):
    """Run `launch.<entry>()` in a fresh interpreter whose main() prints `shows`."""
    code = (
        f"import os, sys; sys.path.insert(0, {str(PLUGIN)!r})\n"
        "from runtimecheck import launch, __main__\n"
        f"__main__.main = lambda argv=None: print({shows}) or 0\n"
        "sys.argv[0] = '/somewhere/else'\n"
        f"sys.exit(launch.{entry}())\n"
    )
    return run([sys.executable, "-c", code, *args], timeout=60, env=env)


def test_the_archive_comes_from_the_launcher_not_from_argv(tmp_path: Path) -> None:
    tree = unpacked(tmp_path, OURS, build_id(1))
    site = str(tree / "site-packages")
    done = entered("from_launcher", "launch.archive, sys.argv[1:]",
                   "/plugins/docker-runtimecheck", site, "install", "--alias-build")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "/plugins/docker-runtimecheck ['install', '--alias-build']\n"


def test_the_zip_path_hands_over_through_one_variable_it_removes(tmp_path: Path) -> None:
    tree = unpacked(tmp_path, OURS, build_id(1))
    env = dict(os.environ, RUNTIMECHECK_LAUNCH=f"/a/b\x1f{tree / 'site-packages'}\x1f0")
    done = entered("from_zip", "launch.archive, launch.LAUNCH_ENV in os.environ", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "/a/b False\n"
