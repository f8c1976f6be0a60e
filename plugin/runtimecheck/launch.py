"""How the zipapp starts the package: which archive it is, and its unpacked tree.

The zipapp (scripts/build-zipapp) starts the package in one of two ways, and each says
explicitly which archive it runs from; nothing is inferred from `sys.argv[0]`:

- its shell header, once the build is unpacked: `python3 -I -S -c … ARCHIVE SITE ARGS…`
  (`from_launcher`);
- its `__main__.py`, through shiv's bootstrap (the first run unpacks): the archive, the
  unpacked tree and whether this run unpacked it arrive in LAUNCH_ENV (`from_zip`), which
  is taken out of the environment at once so that no child process inherits it.

While it runs, a process holds a shared lock on its unpacked tree. A build unpacking for
the first time removes this program's older unpacked trees (`<name>_<other build id>` under
the same root) whose lock nobody holds, and nothing else.

On the start-up path of every build: C modules only.
"""

from __future__ import annotations

import os
import sys

LAUNCH_ENV = "RUNTIMECHECK_LAUNCH"
SEPARATOR = "\x1f"
IN_USE = ".in-use"
BUILD_ID_LENGTH = 64  # shiv's build id: a sha256 in hex

# The archive this process runs from (None: not a zipapp, e.g. installed with pip).
archive: str | None = None
_in_use_fd: int | None = None


def from_launcher() -> int:
    """Entry from the shell header: `… -c CODE ARCHIVE SITE ARGS…` (CODE took SITE already)."""
    global archive
    archive = os.path.abspath(sys.argv.pop(1))
    site = sys.argv.pop(1)
    if not _hold(os.path.dirname(site)):
        # Removed between the header's check and now: let the archive unpack it again.
        os.execv(sys.executable, [sys.executable, archive, *sys.argv[1:]])
    from .__main__ import main

    return main()


def from_zip() -> int:
    """Entry from the zip's `__main__.py` through shiv's bootstrap."""
    global archive
    given = os.environ.pop(LAUNCH_ENV, "")
    parts = given.split(SEPARATOR)
    if len(parts) == 3:
        archive, site, first = os.path.abspath(parts[0]), parts[1], parts[2] == "1"
        tree = os.path.dirname(site)
        _hold(tree)
        if first:
            remove_older_trees(tree)
    from .__main__ import main

    return main()


def _hold(tree: str) -> bool:
    """Take the shared in-use lock of an unpacked tree; False when the tree is gone."""
    global _in_use_fd
    import fcntl

    try:
        fd = os.open(os.path.join(tree, IN_USE), os.O_RDONLY | os.O_CREAT, 0o600)
    except OSError:
        return os.path.isdir(tree)
    fcntl.flock(fd, fcntl.LOCK_SH)
    if not os.path.isdir(os.path.join(tree, "site-packages")):
        os.close(fd)
        return False
    _in_use_fd = fd
    return True


def remove_older_trees(tree: str) -> list[str]:
    """Remove the other unpacked builds of this program under the same root; their names.

    Only `<name>_<build id>` directories of this program's own name, whose in-use lock can be
    taken, and shiv's lock file of each removed one.
    """
    import contextlib
    import fcntl
    import shutil

    root, own = os.path.split(tree)
    name, _, build_id = own.rpartition("_")
    if not name or len(build_id) != BUILD_ID_LENGTH:
        return []
    removed = []
    try:
        entries = os.listdir(root)
    except OSError:
        return []
    for entry in sorted(entries):
        if entry == own or not _is_build_of(entry, name):
            continue
        path = os.path.join(root, entry)
        try:
            fd = os.open(os.path.join(path, IN_USE), os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a running process uses it
        doomed = os.path.join(root, f".{entry}.removing-{os.getpid()}")
        try:
            os.rename(path, doomed)
        except OSError:
            continue
        finally:
            os.close(fd)
        shutil.rmtree(doomed, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(root, f".{entry}_lock"))
        removed.append(entry)
    return removed


def _is_build_of(entry: str, name: str) -> bool:
    prefix = name + "_"
    build_id = entry[len(prefix) :]
    return (
        entry.startswith(prefix)
        and len(build_id) == BUILD_ID_LENGTH
        and all(c in "0123456789abcdef" for c in build_id)
    )
