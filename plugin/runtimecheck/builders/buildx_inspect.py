"""What the installed buildx says of a builder: `docker buildx inspect NAME`.

The one place where buildx itself is asked (it is not needed otherwise, and may be missing):
per node, the platforms its BuildKit workers detect (which decide the node a build with
`--platform` runs on) and the BuildKit version BuildKit's Info API reports (the only way to a
remote builder's version without a BuildKit client). Output format: docker/buildx
commands/inspect.go, `BuildKit version:` from v0.13.0, `Buildkit:` in v0.10–v0.12;
`Platforms:` lists the stored ones with `*`, then the detected ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from runtimecheck.dockercli import GlobalOptions, docker_command
from runtimecheck.run import run

TIMEOUT_S = 30.0
SOURCE = "`docker buildx inspect`"


@dataclass
class InspectedNode:
    name: str
    endpoint: Optional[str] = None
    status: Optional[str] = None
    error: Optional[str] = None
    buildkit: Optional[str] = None
    platforms: Optional[list[str]] = None  # None: not listed (the node does not run)


@dataclass
class Inspected:
    name: Optional[str] = None
    driver: Optional[str] = None
    error: Optional[str] = None
    nodes: list[InspectedNode] = field(default_factory=list)

    def node(self, name: str) -> Optional[InspectedNode]:
        return next((n for n in self.nodes if n.name == name), None)


def parse(text: str) -> Optional[Inspected]:
    """buildx inspect's text → what it says; None when it is not that output."""
    found = Inspected()
    in_nodes = False
    current: Optional[InspectedNode] = None
    for line in text.splitlines():
        if not line.strip() or line[0].isspace():
            continue  # labels, GC policy rules, file contents: indented
        key, colon, value = line.partition(":")
        if not colon:
            continue
        key, value = key.strip(), value.strip()
        if key == "Nodes" and not value:
            in_nodes = True
            continue
        if not in_nodes:
            if key == "Name":
                found.name = value
            elif key == "Driver":
                found.driver = value
            elif key == "Error":
                found.error = value
            continue
        if key == "Name":
            current = InspectedNode(name=value)
            found.nodes.append(current)
        elif current is None:
            continue
        elif key == "Endpoint":
            current.endpoint = value
        elif key == "Status":
            current.status = value
        elif key == "Error":
            current.error = value
        elif key in ("BuildKit version", "Buildkit", "BuildKit"):
            current.buildkit = value or None
        elif key == "Platforms":
            current.platforms = [p.strip().rstrip("*") for p in value.split(",") if p.strip()]
    if found.name is None or (not in_nodes and found.error is None):
        return None
    return found


def ask(
    opts: GlobalOptions, builder: str, timeout: float = TIMEOUT_S
) -> tuple[Optional[Inspected], str]:
    """(what buildx says, None when it could not be asked; why not)."""
    argv = [docker_command(opts), *opts.raw, "buildx", "inspect", builder]
    shown = " ".join(["docker", *argv[1:]])
    done = run(argv, timeout=timeout)
    if done.error:
        return None, f"`{shown}` could not be run: {done.error}"
    if done.timed_out:
        return None, f"`{shown}` did not answer within {timeout:g} s"
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, f"`{shown}` failed (exit {done.returncode})" + (
            f": {said[-1]}" if said else ""
        )
    inspected = parse(done.text())
    if inspected is None:
        return None, f"`{shown}` did not answer as buildx does"
    return inspected, ""
