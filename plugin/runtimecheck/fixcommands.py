"""The command that recreates a builder with one change, keeping everything else it has.

A fix that recreates a builder must not lose what the user set up: every node with its
endpoint and name, its driver options, platforms and buildkitd flags, and its buildkitd.toml
(copied out of the running builder first). Only the one change the fix is for is made: the
image, or the OCI worker binary. `docker buildx rm --keep-state` keeps the build cache of a
docker-container builder for the new one (same node names, so same state volumes). Pure.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Optional

from .facts import StoredBuilder, StoredNode

IMAGE = "image"
BINARY = "oci_worker_binary"
CHANGES = (IMAGE, BINARY)
CONFIG_IN_CONTAINER = "/etc/buildkit/buildkitd.toml"
# Drivers whose state `docker buildx rm --keep-state` keeps (buildx driver/docker-container).
KEEPS_STATE = ("docker-container",)
# Drivers whose node endpoint is passed to `buildx create` (kubernetes takes its kubeconfig).
ENDPOINT_GIVEN = ("docker-container", "remote")


def recreate(builder: StoredBuilder, change: Mapping[str, str]) -> str:
    """`[docker cp …] && docker buildx rm … && docker buildx create …` for `builder` with
    `change` ({"image": …} and/or {"oci_worker_binary": …}) applied to every node."""
    steps = []
    config = _config_copy(builder)
    if config is not None:
        steps.append(config[0])
    keep = " --keep-state" if builder.driver in KEEPS_STATE else ""
    steps.append(f"docker buildx rm{keep} {shlex.quote(builder.name)}")
    for index, node in enumerate(builder.nodes):
        steps.append(_create(builder, node, change, append=index > 0, config=config))
    return " && ".join(steps)


def cache_note(builder: StoredBuilder) -> str:
    if builder.driver in KEEPS_STATE:
        return (
            "Recreating the builder keeps its build cache only because of `--keep-state` "
            "(the new nodes have the same names, so they find their state volumes)."
        )
    return "Recreating the builder discards its build cache."


def _create(
    builder: StoredBuilder,
    node: StoredNode,
    change: Mapping[str, str],
    *,
    append: bool,
    config: Optional[tuple[str, str]],
) -> str:
    argv = ["docker", "buildx", "create"]
    if append:
        argv.append("--append")
    argv += ["--name", builder.name, "--driver", builder.driver, "--node", node.name]
    options = dict(node.driver_opts)
    if IMAGE in change:
        options[IMAGE] = change[IMAGE]
    for key, value in options.items():
        argv += ["--driver-opt", _csv_field(f"{key}={value}")]
    if node.platforms:
        argv += ["--platform", ",".join(node.platforms)]
    flags = _flags(node.flags, change.get(BINARY))
    if flags:
        argv.append("--buildkitd-flags=" + " ".join(shlex.quote(f) for f in flags))
    if config is not None and node.has_config:
        argv += ["--buildkitd-config", config[1]]
    if node.endpoint and builder.driver in ENDPOINT_GIVEN:
        argv.append(node.endpoint)
    return " ".join(shlex.quote(a) for a in argv)


def _flags(flags: list[str], binary: Optional[str]) -> list[str]:
    """The node's buildkitd flags with the worker binary set to `binary` (when given)."""
    kept: list[str] = []
    skip = False
    for flag in flags:
        if skip:
            skip = False
            continue
        if binary is not None and flag == "--oci-worker-binary":
            skip = True
            continue
        if binary is not None and flag.startswith("--oci-worker-binary="):
            continue
        kept.append(flag)
    if binary is not None:
        kept.append(f"--oci-worker-binary={binary}")
    return kept


def _config_copy(builder: StoredBuilder) -> Optional[tuple[str, str]]:
    """(the step that copies the buildkitd.toml out of the running builder, the file)."""
    first = next((n for n in builder.nodes if n.has_config), None)
    if first is None or builder.driver != "docker-container":
        return None
    target = f"buildkitd-{builder.name}.toml"
    source = f"buildx_buildkit_{first.name}:{CONFIG_IN_CONTAINER}"
    return f"docker cp {shlex.quote(source)} {shlex.quote(target)}", target


def _csv_field(value: str) -> str:
    """buildx reads each --driver-opt as CSV: a value with a comma or a quote is quoted."""
    if "," in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value
