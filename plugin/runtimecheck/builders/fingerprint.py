"""What the selected builder's verdict depends on, as witnesses the warm path can re-check.

The files buildx's selection reads (docker's config.json and context, the store's `current`,
`defaults/` and the builder's instance file), then for each node what its driver names
(`Driver.witnesses`: for docker-container the container and the runtime binary inside it,
for the docker driver dockerd's process and the binary on its PATH). All are seen before
the check, so that a change during it leaves the entry stale, never wrong. None whenever
that cannot be had cheaply (remote daemons, kubernetes, remote driver, a container the
daemon will not describe): such a builder is checked in full every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from runtimecheck import log
from runtimecheck.dockercli import DEFAULT_CONTEXT, DockerConfig, context_dir_name
from runtimecheck.errors import RuntimecheckError
from runtimecheck.preflight import witnesses as kinds

from . import docker_endpoint, dockerd, registry
from .driver import NotCheap
from .selection import context_names, selected_builder_name
from .store import (
    StoreFileError,
    environment,
    instance_path,
    key_hash,
    read_instance,
    store_root,
)


def witnesses(
    cfg: DockerConfig,
    builder_name: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Optional[list[list[Any]]]:
    """The witnesses of the builder a build would use; None when it cannot be had cheaply
    (why is logged at debug level)."""
    try:
        return _collect(cfg, builder_name, environment(env))
    except (NotCheap, RuntimecheckError, OSError) as e:
        log.debug(f"no witnesses: {e}")
        return None


def _collect(
    cfg: DockerConfig, builder_name: Optional[str], env: Mapping[str, str]
) -> list[list[Any]]:
    name = selected_builder_name(cfg, builder_name, env)
    root = store_root(cfg, env)
    found = [kinds.file_witness(str(cfg.directory / "config.json"))]
    found += _context_files(cfg, cfg.endpoint.context)
    found.append(kinds.file_witness(str(root / "current")))
    found.append(kinds.file_witness(str(root / "defaults" / key_hash(cfg.endpoint.buildx_key))))
    stored = instance_path(root, name)
    if stored is not None:
        found.append(kinds.file_witness(str(stored)))
    try:
        builder = read_instance(root, name)
    except StoreFileError as e:
        raise NotCheap(e.message) from None
    if builder is None:
        if name not in context_names(cfg):
            raise NotCheap(f"no builder {name}")
        found += _context_files(cfg, name)
        return found + dockerd.daemon_witnesses(docker_endpoint(cfg, name).host)

    driver = registry.driver(registry.resolve(builder).driver)
    if driver is None:
        raise NotCheap(f"unknown driver {builder.driver!r}")
    for node in builder.nodes:
        if node.config_file:
            found.append(kinds.file_witness(node.config_file))
        if node.endpoint and "://" not in node.endpoint:
            found += _context_files(cfg, node.endpoint)
        found += driver.witnesses(cfg, node)
    return found


def _context_files(cfg: DockerConfig, context: str) -> list[list[Any]]:
    if context == DEFAULT_CONTEXT:
        return []
    meta = cfg.directory / "contexts" / "meta" / context_dir_name(context) / "meta.json"
    return [kinds.file_witness(str(meta))]
