"""Which builder a build uses, decided the way buildx decides it.

Order (docker/buildx `commands/util.go`, `store/storeutil`, `store/store.go`): an explicit
name, `$BUILDX_BUILDER`, the store's `current` (a Global entry that exists; else the entry
whose Key is the current docker endpoint; else `defaults/<hash(key)>`), else the builder
named after the current docker context, which is that context's `docker`-driver builder.

A name that matches no builder is the user's typo (`--builder`, `BUILDX_BUILDER`), so it is
a usage error (exit 2), like buildx's own `no builder "x" found`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Union

from runtimecheck.dockercli import DEFAULT_CONTEXT, DockerConfig, list_contexts
from runtimecheck.errors import UsageError

from . import dockerd, registry
from .store import (
    Builder,
    BuilderError,
    Node,
    StoreFileError,
    environment,
    instance_names,
    read_current,
    read_default,
    read_instance,
    store_root,
)

__all__ = [
    "Builder",
    "BuilderError",
    "all_builders",
    "context_names",
    "selected_builder",
    "selected_builder_name",
]


def selected_builder_name(
    cfg: DockerConfig, explicit: Optional[str] = None, env: Optional[Mapping[str, str]] = None
) -> str:
    """The name of the builder a build would use. Reads a few small files, nothing else.

    `explicit` is the `--builder` value: None when the flag is absent. buildx takes the
    flag's default from BUILDX_BUILDER, so an explicit empty value (`--builder=`) means the
    current builder, whatever BUILDX_BUILDER says.
    """
    env = environment(env)
    if explicit:
        return explicit
    if explicit is None and env.get("BUILDX_BUILDER"):
        return env["BUILDX_BUILDER"]
    from_store = _current_from_store(cfg, env)
    return from_store if from_store else cfg.endpoint.context


def _current_from_store(cfg: DockerConfig, env: Mapping[str, str]) -> Optional[str]:
    """store.Txn.Current without its writes: the builder `buildx use` chose for this endpoint.

    A `current` or `defaults/` file that exists but cannot be read stops buildx, so it is a
    usage error here (the file named, the fix said), not a quiet fallback.
    """
    root = store_root(cfg, env)
    key = cfg.endpoint.buildx_key
    try:
        return _current_name(root, key)
    except StoreFileError as e:
        raise UsageError(
            f"buildx cannot use its store: {e.message}",
            hint=f"fix or remove {e.path} (`docker buildx use NAME` writes it again)",
        ) from None


def _current_name(root: Path, key: str) -> Optional[str]:
    current = read_current(root)
    if current is not None and current.name:
        if current.global_ and _instance_exists(root, current.name):
            return current.name
        if current.key == key:
            return current.name if _instance_exists(root, current.name) else None
    default = read_default(root, key)
    if default and _instance_exists(root, default):
        return default
    return None


def _instance_exists(root: Path, name: str) -> bool:
    """Whether buildx's NodeGroupByName finds a builder: a valid name whose file decodes."""
    try:
        return read_instance(root, name) is not None
    except StoreFileError:
        return False


def selected_builder(
    cfg: DockerConfig, explicit: Optional[str] = None, env: Optional[Mapping[str, str]] = None
) -> Union[Builder, BuilderError]:
    """The builder a build would use; a BuilderError when its stored file is unreadable.

    Raises UsageError (exit 2) when the name matches no stored builder and no docker context.
    """
    env = environment(env)
    name = selected_builder_name(cfg, explicit, env)
    return builder_by_name(cfg, name, env)


def builder_by_name(
    cfg: DockerConfig, name: str, env: Optional[Mapping[str, str]] = None
) -> Union[Builder, BuilderError]:
    env = environment(env)
    root = store_root(cfg, env)
    try:
        stored = read_instance(root, name)
    except StoreFileError as e:
        return BuilderError(name=name, message=e.message, path=e.path)
    if stored is not None:
        return registry.resolve(stored)
    contexts = context_names(cfg)
    if name in contexts:
        if name != cfg.endpoint.context:
            # buildx builds on a context's own builder only from that context (builder/builder.go
            # Builder.Validate, which `buildx build` runs): anything else is its error.
            raise UsageError(
                f"builder {name!r} is the docker context {name!r}, which is not the current "
                f"one: buildx refuses it (use `docker --context={name} buildx` to switch to "
                f"context {name!r})",
                hint=f"check it with `docker --context={name} runtimecheck`",
            )
        return context_builder(name, name)
    # Never empty: every docker context, `default` at least, has a builder of its name.
    available = sorted(set(instance_names(root)) | set(contexts))
    raise UsageError(
        f"no builder {name!r} found", hint=f"available builders: {', '.join(available)}"
    )


def context_names(cfg: DockerConfig) -> list[str]:
    """Every docker context, `default` first: each has a docker-driver builder of its name."""
    names = [DEFAULT_CONTEXT]
    names += [n for n, _ in list_contexts(cfg.directory) if n != DEFAULT_CONTEXT]
    return names


def all_builders(
    cfg: DockerConfig, env: Optional[Mapping[str, str]] = None
) -> list[Union[Builder, BuilderError]]:
    """Every stored builder, then every docker context's own builder (as `buildx ls` lists)."""
    env = environment(env)
    root = store_root(cfg, env)
    found: list[Union[Builder, BuilderError]] = []
    stored_names = set()
    for name in instance_names(root):
        try:
            builder = read_instance(root, name)
        except StoreFileError as e:
            found.append(BuilderError(name=name, message=e.message, path=e.path))
            stored_names.add(name)
            continue
        if builder is None:
            # Not a valid builder name: buildx skips such files as well.
            continue
        stored_names.add(builder.name.lower())
        found.append(registry.resolve(builder))
    for context in context_names(cfg):
        if context.lower() in stored_names:
            continue  # a stored builder of that name wins, as in GetNodeGroup
        found.append(context_builder(context, context))
    return found


def context_builder(name: str, endpoint: str) -> Builder:
    """The docker-driver builder buildx derives from a docker context (storeutil.GetNodeGroup)."""
    return Builder(
        name=name,
        driver=dockerd.NAME,
        nodes=[Node(name=name, endpoint=endpoint)],
        from_context=True,
    )
