"""BuildKit in a container, as the docker-container and kubernetes drivers run it.

What is known of one such node before its runtime is judged (`Observed`, filled at the edge),
the buildkitd settings it amounts to, the node's facts from it (pure), and the one exec that
learns what runs inside (`probe_running`, over any exec transport).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from runtimecheck.facts import (
    BuildKitFacts,
    FixContext,
    NodeFacts,
    RuntimeFacts,
    RuntimeIdentity,
    StoredBuilder,
    StoredNode,
)
from runtimecheck.knowledge import Knowledge
from runtimecheck.probe.environment import Seen
from runtimecheck.probe.incontainer import ExecArgv

from . import buildkitd
from .store import Builder, Node

DEFAULT_IMAGE = "moby/buildkit:buildx-stable-1"  # buildx driver/bkimage
STOCK_RUNC_PATH = "/usr/bin/buildkit-runc"
# The PATH of the moby/buildkit images (alpine's, which they do not change), also the engine's
# default for an image that sets none.
STOCK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Observed:
    """What is known about one node before the runtime is judged; filled by the edge."""

    image: Optional[str]
    cmd: Optional[list[str]]  # None: no container (flags then come from the store)
    config_text: Optional[str]  # buildkitd.toml as buildkitd reads it, or from the store
    status: str = "unknown"
    buildkitd_version_output: Optional[str] = None
    default_runtime_on_path: Optional[bool] = None
    containerd_socket: Optional[bool] = None
    runtime: Optional[RuntimeFacts] = None  # probed inside the container
    environment: Optional[Seen] = None  # /sys/fs/cgroup and the user, seen inside
    where: str = ""  # "container NAME", "pod NS/NAME": where it was probed
    # The runtime the container itself runs under (dockerd's HostConfig.Runtime, e.g.
    # "sysbox-runc"): a fix's runc must be able to run inside it.
    container_runtime: Optional[str] = None
    notes: list[str] = field(default_factory=list)
    # Whether buildkitd reads the buildkitd.toml the store holds (buildx puts it at
    # /etc/buildkit; a rootless buildkitd reads its user's config instead).
    store_config: bool = True
    # The builder container's environment as configured (env.* driver options, or a stopped
    # container's Config.Env); buildkitd finds buildkit-runc / runc on its PATH.
    env: dict[str, str] = field(default_factory=dict)


def settings_for(node: Node, observed: Observed) -> tuple[buildkitd.Settings, list[str]]:
    """The effective buildkitd settings and what looked wrong on the way. Pure."""
    argv = observed.cmd if observed.cmd is not None else _store_cmd(node)
    flags = buildkitd.parse_flags(argv)
    toml = buildkitd.parse_toml(observed.config_text)
    problems = list(flags.problems)
    if toml.error:
        problems.append(toml.error)
    return buildkitd.effective(flags, toml), problems


def _store_cmd(node: Node) -> list[str]:
    """The Cmd buildx would give a new container (driver getBuildkitFlags)."""
    flags = list(node.flags or [])
    if node.buildkitd_toml is not None:
        return ["--config", buildkitd.DEFAULT_CONFIG_PATH, *flags]
    return flags


def node_facts(
    builder: Builder,
    node: Node,
    endpoint: Optional[str],
    observed: Observed,
    kb: Knowledge,
    *,
    driver: str,
    node_label: Optional[str] = None,
) -> NodeFacts:
    """Everything observed about one node → NodeFacts for the decision. Pure."""
    settings, problems = settings_for(node, observed)
    notes = [*node.notes, *observed.notes, *problems]

    version = None
    source = ""
    if observed.buildkitd_version_output:
        version = buildkitd.parse_version_output(observed.buildkitd_version_output)
        source = "buildkitd --version" if version else ""
    if version is None:
        version = buildkitd.image_tag_version(observed.image)
        if version:
            source = f"image tag {observed.image}"
            if observed.status == "running":
                notes.append("`buildkitd --version` gave no version; the image tag was used")
        else:
            notes.append(f"the BuildKit version could not be read (image {observed.image})")

    worker, worker_note = buildkitd.decide_worker(
        settings, observed.default_runtime_on_path, observed.containerd_socket
    )
    if worker_note and observed.status == "running":
        notes.append(worker_note)

    runtime = observed.runtime
    if runtime is None:
        runtime = _static_runtime(settings, observed, kb, notes)
    else:
        _version_from_image(runtime, observed, version, kb, notes)
    cgroup, rootless, environment = _environment(settings, observed)

    return NodeFacts(
        builder=builder.name,
        node=node_label or node.name,
        driver=driver,
        endpoint=endpoint,
        buildkit=BuildKitFacts(
            version=version,
            source=source,
            worker=worker,
            cgroup=cgroup,
            rootless=rootless,
            environment=environment,
        ),
        runtime=runtime,
        fix_context=FixContext(
            driver=driver,
            builder=builder.name,
            node=node.name,
            image=observed.image,
            binary_override=settings.binary_override,
            container_runtime=observed.container_runtime,
            stored=stored_builder(builder),
        ),
        status=observed.status,
        notes=notes,
    )


def _version_from_image(
    runtime: RuntimeFacts,
    observed: Observed,
    buildkit_version: Optional[str],
    kb: Knowledge,
    notes: list[str],
) -> None:
    """The bundled runc's version, when it prints none, from the moby/buildkit release.

    BuildKit builds the runc of its images without a version stamp, so runc 1.0 to 1.2 there
    print `runc version unknown` (the release candidates `runc version spec: …`). The binary
    at /usr/bin/buildkit-runc of a moby/buildkit image is the one its Dockerfile built: its
    version is that release's row of images.toml (by the image tag, else by the BuildKit
    version buildkitd reports, as buildx-stable-1 names no version)."""
    identity = runtime.identity
    if not runtime.verified or identity.name != "runc" or identity.version is not None:
        return
    if runtime.path != STOCK_RUNC_PATH or not buildkitd.is_stock_image(observed.image):
        return
    found = kb.image_runc(observed.image)
    release = observed.image
    if found is None and buildkit_version:
        found = kb.image_runc(buildkit_version)
        release = f"moby/buildkit:{buildkit_version} (buildkitd --version)"
    if found is None:
        return
    runc_version, source = found
    identity.version = runc_version
    runtime.version_source = f"image {release}"
    notes.append(
        f"runc at {STOCK_RUNC_PATH} prints no version (BuildKit builds it without a version "
        f"stamp): {runc_version} is the runc {release} bundles ({source})"
    )


def _environment(
    settings: buildkitd.Settings, observed: Observed
) -> tuple[Optional[str], Optional[bool], str]:
    """(cgroup version, rootless, how they were learnt) of the buildkitd in this container."""
    seen = observed.environment
    where = f" in {observed.where}" if observed.where else ""
    if seen is None:
        cgroup, said = None, "/sys/fs/cgroup was not looked at: the container was not probed"
    elif seen.mount is None:
        cgroup, said = None, f"/proc/self/mountinfo could not be read{where}"
    else:
        cgroup, said = seen.mount.version, seen.mount.describe() + where
    rootless, why = _rootless(settings, observed, seen)
    return cgroup, rootless, f"{said}; {why}"


def _rootless(
    settings: buildkitd.Settings, observed: Observed, seen: Optional[Seen]
) -> tuple[Optional[bool], str]:
    if settings.rootless is not None:
        return (
            settings.rootless,
            f"{'rootless' if settings.rootless else 'rootful'} by {settings.rootless_from}",
        )
    if seen is not None:
        uid, userns = seen.uid(), seen.user_namespace()
        if uid is not None and uid != 0:
            return True, f"rootless: the container runs as uid {uid}"
        if userns:
            return (
                True,
                "rootless: buildkitd is by default in the user namespace the container runs in",
            )
        if uid == 0 and userns is False:
            return False, "rootful: the container runs as root, in no user namespace of its own"
    if _rootless_image(observed.image):
        return True, f"rootless: {observed.image} is a rootless image"
    return None, "whether buildkitd runs rootless could not be learnt"


def _rootless_image(image: Optional[str]) -> bool:
    """moby/buildkit's rootless images: `…:v0.12.5-rootless`, `…:rootless`."""
    if not image:
        return False
    name = image.split("@", 1)[0]
    _, colon, tag = name.rpartition(":")
    return bool(colon) and "/" not in tag and tag.endswith("rootless")


def _static_runtime(
    settings: buildkitd.Settings, observed: Observed, kb: Knowledge, notes: list[str]
) -> RuntimeFacts:
    """What the image is known to bundle, without running anything (verified=False).

    When that is not known, the runtime's `error` says why, in one sentence.
    """
    where = f"image {observed.image}" if observed.image else "builder configuration"
    unknown = RuntimeFacts(
        path=None, identity=RuntimeIdentity(name=None, version=None), verified=False, where=where
    )
    if settings.binary_override:
        unknown.path = settings.binary_override
        unknown.error = f"{settings.binary_from} names {settings.binary_override}"
        return unknown
    if not buildkitd.is_stock_image(observed.image):
        unknown.error = f"{observed.image} is not a moby/buildkit image"
        return unknown
    path = observed.env.get("PATH")
    if path is not None and path != STOCK_PATH:
        unknown.error = (
            f"the builder's PATH is {path} (env.PATH), not the image's: which buildkit-runc or "
            "runc buildkitd finds on it is known only when it runs"
        )
        return unknown
    bundled = kb.image_runc(observed.image)
    if bundled is None:
        unknown.error = f"which runc {observed.image} bundles is not known"
        return unknown
    runc_version, source = bundled
    notes.append(f"runc {runc_version} assumed from the image ({source}); not run")
    return RuntimeFacts(
        path=STOCK_RUNC_PATH,
        identity=RuntimeIdentity(name="runc", version=runc_version),
        verified=False,
        where=where,
    )


def stored_builder(builder: Builder) -> StoredBuilder:
    """What buildx keeps of the builder, as a fix that recreates it must pass it again."""
    return StoredBuilder(
        name=builder.name,
        driver=builder.driver or "docker-container",
        nodes=[
            StoredNode(
                name=n.name,
                endpoint=n.endpoint,
                platforms=[platform_text(p) for p in n.platforms if platform_text(p)],
                driver_opts=dict(n.driver_opts),
                flags=list(n.flags or []),
                has_config=n.buildkitd_toml is not None,
            )
            for n in builder.nodes
        ],
    )


def platform_text(platform: object) -> str:
    """`linux/arm64/v8` from a stored OCI platform ({"os", "architecture", "variant"})."""
    if isinstance(platform, str):
        return platform
    if not isinstance(platform, dict):
        return ""
    parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
    return "/".join(str(p) for p in parts if p)


def from_store(node: Node, notes: Optional[list[str]] = None) -> Observed:
    """A builder that was never started: what buildx would create from its stored node."""
    return Observed(
        image=node.driver_opts.get("image") or DEFAULT_IMAGE,
        cmd=None,
        config_text=node.buildkitd_toml,
        status="inactive",
        notes=list(notes or []),
        env=env_options(node),
    )


def env_options(node: Node) -> dict[str, str]:
    """The `env.NAME=value` driver options: the builder container's environment (buildx
    driver/docker-container/factory.go, driver/kubernetes/factory.go)."""
    opts = node.driver_opts
    return {k[len("env.") :]: v for k, v in opts.items() if k.startswith("env.") and len(k) > 4}


def probe_running(
    transport: ExecArgv,
    where: str,
    node: Node,
    observed: Observed,
    config_path: str,
    kb: Knowledge,
    timeout: float,
    deep: bool = False,
) -> None:
    """One exec: resolve and probe the binary, read the config, ask buildkitd its version;
    with `deep`, BuildKit's call sequence run for real after the probes, in the same exec."""
    from runtimecheck.probe import incontainer

    settings, _ = settings_for(node, observed)

    # The container's own config may differ from the store's (changed after creation), but
    # the flags in Cmd and the store's copy are the best guess before looking inside.
    guess = _guess_settings(node, observed, settings)
    commands: dict[str, list[str]] = {"buildkitd": ["buildkitd", "--version"]}
    if guess.binary_override and guess.oci_enabled is None:
        commands["default-runtime"] = ["sh", "-c", "command -v buildkit-runc || command -v runc"]
    if guess.containerd_enabled is None:
        commands["containerd-socket"] = ["test", "-S", guess.containerd_address]
    invocations = kb.invocations()
    probe = incontainer.run_in_container(
        transport,
        candidates=guess.candidates,
        invocations=invocations,
        read_files=[config_path],
        commands=commands,
        timeout=timeout,
        where=where,
        runtimes=kb.identities(),
        deep=deep,
    )

    config_text = probe.files.get(config_path)
    observed.config_text = config_text
    if (
        config_text is None
        and node.buildkitd_toml is not None
        and config_path != buildkitd.DEFAULT_CONFIG_PATH
    ):
        observed.notes.append(f"{config_path} could not be read in the container")
    code, output = probe.commands.get("buildkitd", (None, ""))
    observed.buildkitd_version_output = output if code == 0 else None
    if "default-runtime" in probe.commands:
        code, _ = probe.commands["default-runtime"]
        observed.default_runtime_on_path = None if code is None else code == 0
    elif not guess.binary_override:
        observed.default_runtime_on_path = probe.runtime.path is not None
    if "containerd-socket" in probe.commands:
        code, _ = probe.commands["containerd-socket"]
        observed.containerd_socket = None if code is None else code == 0
    observed.runtime = probe.runtime
    observed.environment = probe.environment
    observed.where = where

    actual, _ = settings_for(node, observed)
    if actual.candidates != guess.candidates:
        # The config inside names another binary than the flags and the store suggested.
        observed.notes.append(
            f"{config_path} in the container selects {actual.candidates[0]}; probed it in a second exec"
        )
        second = incontainer.run_in_container(
            transport,
            candidates=actual.candidates,
            invocations=invocations,
            timeout=timeout,
            where=where,
            runtimes=kb.identities(),
            deep=deep,
        )
        observed.runtime = second.runtime
        if not actual.binary_override:
            observed.default_runtime_on_path = second.runtime.path is not None


def _guess_settings(
    node: Node, observed: Observed, settings: buildkitd.Settings
) -> buildkitd.Settings:
    if observed.config_text is not None or node.buildkitd_toml is None or not observed.store_config:
        return settings
    store_view = Observed(
        image=observed.image,
        cmd=observed.cmd,
        config_text=node.buildkitd_toml,
    )
    return settings_for(node, store_view)[0]
