"""Probing a runtime binary on this machine: `--version`, each invocation, `features`.

Every call gets a fresh private state directory (`--root`), a bundle and files that do not
exist and a random container id, so no container is ever created and no real state is read
or written; the directory is removed afterwards, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from typing import Any, Optional

from runtimecheck.behaviour import NOT_RUN, Behaviour
from runtimecheck.facts import UNKNOWN, ProbeOutcome, RuntimeFacts, RuntimeIdentity
from runtimecheck.knowledge import Runtime
from runtimecheck.probe import observe
from runtimecheck.probe.identify import parse_version_output
from runtimecheck.probe.placeholders import fill, new_container_id, with_private_root
from runtimecheck.run import Completed, run

RAW_MAX = 4096  # --version output kept as evidence; a binary printing garbage is cut here


def which(name: str, path_env: Optional[str]) -> Optional[str]:
    """Where `name` resolves on `path_env` (a PATH value; None: this process's PATH)."""
    if "/" in name:
        return name if _is_executable_file(name) else None
    search = os.environ.get("PATH", os.defpath) if path_env is None else path_env
    for directory in search.split(os.pathsep):
        if not directory:
            continue  # an empty entry means the caller's cwd, which is not the daemon's
        candidate = os.path.join(directory, name)
        if _is_executable_file(candidate):
            return candidate
    return None


def probe_binary(
    path: str,
    invocations: Sequence[Any],
    *,
    timeout: float = 5.0,
    runtimes: Optional[Sequence[Runtime]] = None,
    deep: bool = False,
    deep_timeout: Optional[float] = None,
) -> RuntimeFacts:
    """Identify the binary at `path` and ask it each invocation; never raises, never hangs.

    `runtimes`: how runtimes introduce themselves (`Knowledge.identities()`; by default the
    packaged knowledge's). With `deep`, BuildKit's call sequence is then run for real with it
    on this machine (probe.deep), each call within `timeout`, the whole within
    `deep_timeout`: `facts.behaviour`."""
    facts = RuntimeFacts(path=path, identity=RuntimeIdentity(name=None, version=None))
    facts.error = _unusable(path)
    if facts.error:
        return facts

    version = run([path, "--version"], timeout=timeout)
    facts.error = _failed_to_answer(version, timeout, "--version")
    if facts.error:
        return facts
    text = version.stdout if version.stdout.strip() else version.stderr
    facts.identity = parse_version_output(text.decode("utf-8", "replace")[:RAW_MAX], runtimes)

    workdir = tempfile.mkdtemp(prefix="runtimecheck-")
    try:
        root = os.path.join(workdir, "root")
        os.mkdir(root, 0o700)
        facts.probes, stalled = _probe_all(path, invocations, workdir, root, timeout)
        if not stalled:  # a runtime that hung once would only hang again
            facts.features = _features(path, root, timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    facts.verified = True
    if deep:
        facts.behaviour = _behaviour(path, stalled, timeout, deep_timeout)
    return facts


def _behaviour(path: str, stalled: bool, timeout: float, whole: Optional[float]) -> Behaviour:
    from runtimecheck.probe import deep

    if stalled:
        return Behaviour(NOT_RUN, reason="an earlier call of the runtime got no answer in time")
    return deep.on_host(path, call_timeout=timeout, timeout=whole)


def _probe_all(
    path: str, invocations: Sequence[Any], workdir: str, root: str, timeout: float
) -> tuple[dict[str, ProbeOutcome], bool]:
    """Each invocation's outcome, and whether one of them got no answer in time."""
    values = {
        "root": root,
        "bundle": os.path.join(workdir, "missing-bundle"),
        "file": os.path.join(workdir, "missing-file"),
        "id": new_container_id(),
    }
    outcomes: dict[str, ProbeOutcome] = {}
    stalled: Optional[str] = None
    for n, invocation in enumerate(invocations):
        log = os.path.join(workdir, f"log-{n}.json")
        argv = fill(with_private_root(invocation.probe), {**values, "log": log})
        if stalled:
            outcomes[invocation.id] = ProbeOutcome(invocation.id, UNKNOWN, stalled, argv=argv)
            continue
        done = run([path, *argv], timeout=timeout)
        outcomes[invocation.id] = observe.classify(
            None if done.error else done.returncode,
            _all_output(done, log),
            done.timed_out,
            invocation.id,
            argv=argv,
        )
        if done.timed_out:
            # A runtime that hangs once hangs again: do not spend a timeout on every invocation.
            stalled = f"not run: an earlier call got no answer within {timeout:g}s"
    return outcomes, stalled is not None


def _features(path: str, root: str, timeout: float) -> Optional[dict[str, Any]]:
    done = run([path, "--root", root, "features"], timeout=timeout)
    if not done.ok:
        return None
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _all_output(done: Completed, log: str) -> str:
    parts = [done.error or "", done.stdout.decode("utf-8", "replace")]
    parts.append(done.stderr.decode("utf-8", "replace"))
    # runc sends its errors to the --log file instead of stderr when one is given.
    try:
        with open(log, "rb") as f:
            parts.append(f.read(RAW_MAX).decode("utf-8", "replace"))
    except OSError:
        pass
    return "\n".join(p for p in parts if p)


def _failed_to_answer(done: Completed, timeout: float, what: str) -> Optional[str]:
    if done.error:
        return f"cannot be executed: {done.error}"
    if done.timed_out:
        return f"no answer to {what} within {timeout:g}s"
    if done.returncode is not None and done.returncode < 0:
        return f"killed by {observe.signal_name(-done.returncode)} while answering {what}"
    return None


def _unusable(path: str) -> Optional[str]:
    try:
        st = os.stat(path)  # follows symlinks: a loop or a dangling link fails here
    except OSError as e:
        return f"{e.strerror or e}: {path}"
    if stat.S_ISDIR(st.st_mode):
        return f"is a directory: {path}"
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file: {path}"
    if not os.access(path, os.X_OK):
        return f"not executable: {path}"
    return None


def _is_executable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)
