"""Booting a builder that is not running, as the build would: `docker buildx inspect --bootstrap`.

buildx creates (or starts) the builder's container or pods with every setting it keeps, so
the runtime checked afterwards is the one the build will run. Nothing is re-created by hand.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Optional

from .dockercli import GlobalOptions, docker_command
from .facts import NodeFacts
from .run import run

BOOTSTRAP_TIMEOUT_S = 300.0  # buildx may pull the BuildKit image first
# Node statuses in which nothing in the builder could be run (facts.NodeFacts.status).
NOT_RUNNING = ("inactive", "stopped")


def needed(driver: str, nodes: Sequence[NodeFacts]) -> bool:
    """Whether buildx would boot a node of these (the others always run, as the docker
    driver's, or are started by someone else, as the remote driver's)."""
    from .builders import registry

    return driver in registry.booted_on_demand() and any(n.status in NOT_RUNNING for n in nodes)


def command(opts: GlobalOptions, builder: str) -> list[str]:
    return [docker_command(opts), *opts.raw, "buildx", "inspect", "--bootstrap", builder]


def check_command(opts: GlobalOptions, builder: str) -> str:
    """The command that checks `builder` for real, booting it first, as the user would type it."""
    argv = ["docker", *opts.raw, "runtimecheck", "--bootstrap", "--builder", builder]
    return shlex.join(argv)


def boot(opts: GlobalOptions, builder: str, timeout: float = BOOTSTRAP_TIMEOUT_S) -> Optional[str]:
    """Run `docker buildx inspect --bootstrap BUILDER`; None when it worked, else why not."""
    argv = command(opts, builder)
    shown = shlex.join(["docker", *argv[1:]])
    done = run(argv, timeout=timeout)
    if done.error:
        return f"`{shown}` could not be run: {done.error}"
    if done.timed_out:
        return f"`{shown}` did not finish within {timeout:g} s"
    if done.returncode != 0:
        said = [
            line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()
        ]
        errors = [line for line in said if "error" in line.lower()]
        why = (errors or said or [""])[-1 if errors else 0].strip()
        return f"`{shown}` failed (exit {done.returncode})" + (f": {why}" if why else "")
    return None
