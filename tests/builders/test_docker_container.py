"""The docker-container driver against real builder containers on the local engine.

The containers are made the way buildx makes them (name `buildx_buildkit_<node>`, buildkitd
flags as Cmd, the config copied under /etc/buildkit), unprivileged, from the local test
images whose runtimes are real: runc 1.1.5 as buildkit-runc, crun 1.8.1, and crun installed
as runc/buildkit-runc (the incident). The store files sit in a temporary BUILDX_CONFIG.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any, Optional

import docker.errors
import pytest

from runtimecheck import verdict
from runtimecheck.builders import buildkitd_container, docker_container, gather, selection, store
from runtimecheck.dockercli import DEFAULT_HOST, DockerConfig, GlobalOptions, resolve
from runtimecheck.facts import ACCEPTED, BLOCK, PASS, REJECTED, NodeFacts
from support.containers import put_file

pytestmark = pytest.mark.engine

CRUN_TOML = b'[worker.oci]\n  binary = "crun"\n'


class BuildxHome:
    """A docker config dir + buildx store in tmp, pointing at the local engine."""

    def __init__(self, tmp: Path):
        self.docker_config = tmp / "docker"
        self.docker_config.mkdir()
        self.store = tmp / "buildx"
        self.host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        self.env = {"BUILDX_CONFIG": str(self.store), "DOCKER_HOST": self.host}
        self.cfg: DockerConfig = resolve(
            GlobalOptions(config=str(self.docker_config)), env=self.env
        )

    def write_builder(
        self,
        name: str,
        nodes: list[dict[str, Any]],
        driver: str = "docker-container",
    ) -> None:
        doc = {"Name": name, "Driver": driver, "Nodes": nodes, "Dynamic": False}
        path = self.store / "instances" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))

    def builder(self, name: str) -> store.Builder:
        found = selection.selected_builder(self.cfg, name, env=self.env)
        assert isinstance(found, store.Builder)
        return found


def store_node(
    name: str,
    *,
    image: str,
    flags: Optional[list[str]] = None,
    toml: Optional[bytes] = None,
    endpoint: Optional[str] = None,
) -> dict[str, Any]:
    return {
        "Name": name,
        "Endpoint": endpoint or os.environ.get("DOCKER_HOST") or DEFAULT_HOST,
        "Platforms": None,
        "DriverOpts": {"image": image},
        "Flags": flags,
        "Files": {"buildkitd.toml": base64.b64encode(toml).decode()} if toml else None,
    }


def make_builder_container(
    make_container: Any,
    node: str,
    image: str,
    flags: list[str],
    toml: Optional[bytes] = None,
    start: bool = True,
    **kw: Any,
) -> Any:
    """As buildx's docker-container driver: Cmd = [--config …] + flags, files under /etc.
    Other keyword arguments (e.g. `user`) go to the container as they are."""
    cmd = (["--config", "/etc/buildkit/buildkitd.toml"] if toml else []) + flags
    container = make_container(
        image,
        name=docker_container.container_name(node),
        command=cmd,
        start=False,
        init=True,
        **kw,
    )
    if toml is not None:
        put_file(container, "/etc", "buildkit/buildkitd.toml", toml)
    if start:
        container.start()
        container.reload()
    return container


def unique(prefix: str = "rtc") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def check(home: BuildxHome, name: str, kb: Any, **kw: Any) -> list[NodeFacts]:
    return gather.inspect_builder(home.cfg, home.builder(name), kb=kb, **kw)


@pytest.fixture
def home(tmp_path: Path) -> BuildxHome:
    return BuildxHome(tmp_path)


def test_stock_layout_runc_passes(home, make_container, test_images, kb, engine) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    make_builder_container(make_container, name + "0", image, [])

    [facts] = check(home, name, kb)

    assert facts.error is None and facts.status == "running"
    assert (facts.buildkit.version, facts.buildkit.source) == ("v0.12.5", "buildkitd --version")
    assert facts.buildkit.worker == "oci"
    runtime = facts.runtime
    assert runtime is not None and runtime.verified
    assert runtime.path == "/usr/bin/buildkit-runc"
    assert (runtime.identity.name, runtime.identity.version) == ("runc", "1.1.5+ds1")
    assert runtime.probes["run-keep"].status == ACCEPTED
    assert runtime.where == f"container buildx_buildkit_{name}0"
    assert facts.fix_context.driver == "docker-container"
    assert (facts.fix_context.builder, facts.fix_context.node) == (name, name + "0")
    assert facts.fix_context.image == image and facts.fix_context.binary_override is None
    # The runtime the builder container itself runs under: dockerd's default here.
    assert facts.fix_context.container_runtime == engine.info()["DefaultRuntime"]
    assert verdict.decide(kb, facts, frozenset()).verdict == PASS


def test_crun_renamed_to_runc_blocks(home, make_container, test_images, kb) -> None:
    name = unique()
    image = test_images["crun_as_runc"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    make_builder_container(make_container, name + "0", image, [])

    [facts] = check(home, name, kb)

    runtime = facts.runtime
    assert runtime is not None and runtime.verified
    assert runtime.path == "/usr/bin/buildkit-runc"
    assert (runtime.identity.name, runtime.identity.version) == ("crun", "1.8.1")
    assert runtime.probes["run-keep"].status == REJECTED
    assert facts.buildkit.version == "v0.12.5"
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_oci_worker_binary_flag_selects_crun(home, make_container, test_images, kb) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    flags = ["--oci-worker-binary=crun", "--allow-insecure-entitlement=network.host"]
    home.write_builder(name, [store_node(name + "0", image=image, flags=flags)])
    make_builder_container(make_container, name + "0", image, flags)

    [facts] = check(home, name, kb)

    assert facts.fix_context.binary_override == "crun"
    assert facts.runtime is not None and facts.runtime.path == "/usr/bin/crun"
    assert facts.runtime.identity.name == "crun"
    assert facts.buildkit.worker == "oci"  # buildkit-runc is on PATH: the OCI worker is on
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_toml_in_the_container_selects_crun(home, make_container, test_images, kb) -> None:
    name = unique()
    image = test_images["buildkit_v0_11"]
    home.write_builder(name, [store_node(name + "0", image=image, toml=CRUN_TOML)])
    make_builder_container(make_container, name + "0", image, [], toml=CRUN_TOML)

    [facts] = check(home, name, kb)

    assert facts.buildkit.version == "v0.11.6"
    assert facts.fix_context.binary_override == "crun"
    assert facts.runtime is not None and facts.runtime.identity.name == "crun"
    assert not any("second exec" in n for n in facts.notes)
    # BuildKit v0.11 sends no --keep: crun 1.8.1 is fine there, until BuildKit v0.12.
    result = verdict.decide(kb, facts, frozenset())
    assert result.verdict == PASS
    assert [f.text for f in result.foresight] == [
        "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    ]


def test_container_config_differing_from_store_is_probed_again(
    home, make_container, test_images, kb
) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    # The store has no config (it was changed after creation); the container has one.
    home.write_builder(name, [store_node(name + "0", image=image)])
    make_builder_container(make_container, name + "0", image, [], toml=CRUN_TOML)

    [facts] = check(home, name, kb)

    assert facts.runtime is not None and facts.runtime.identity.name == "crun"
    assert any("second exec" in n for n in facts.notes)


def test_containerd_worker(home, make_container, test_images, kb) -> None:
    name = unique()
    image = test_images["crun_as_runc"]
    flags = ["--oci-worker=false", "--containerd-worker=true"]
    home.write_builder(name, [store_node(name + "0", image=image, flags=flags)])
    make_builder_container(make_container, name + "0", image, flags)

    [facts] = check(home, name, kb)

    assert facts.buildkit.worker == "containerd"
    assert verdict.decide(kb, facts, frozenset()).verdict != BLOCK


def test_stopped_builder_is_judged_statically(
    home, make_container, test_images, kb, engine
) -> None:
    name = unique()
    image = test_images["crun_as_runc"]
    home.write_builder(name, [store_node(name + "0", image=image, toml=CRUN_TOML)])
    container = make_builder_container(
        make_container, name + "0", image, [], toml=CRUN_TOML, start=False
    )

    [facts] = check(home, name, kb)

    assert facts.status == "stopped" and facts.error is None
    assert facts.runtime is not None and not facts.runtime.verified
    assert facts.fix_context.binary_override == "crun"  # read from the stopped container
    assert facts.buildkit.version == "v0.12.5" and facts.buildkit.source.startswith("image tag")
    assert facts.runtime.error is not None and facts.runtime.error.endswith("names crun")
    container.reload()
    assert container.status == "created"  # nothing was started


def test_never_started_builder_creates_nothing(home, engine, kb) -> None:
    name = unique()
    home.write_builder(name, [store_node(name + "0", image="moby/buildkit:v0.12.5")])

    [facts] = check(home, name, kb)

    assert facts.status == "inactive" and facts.error is None
    assert any("does not exist yet" in n for n in facts.notes)
    assert facts.runtime is not None and not facts.runtime.verified
    assert (facts.runtime.identity.name, facts.runtime.identity.version) == ("runc", "1.1.12")
    assert facts.buildkit.version == "v0.12.5"
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(docker_container.container_name(name + "0"))


def test_env_options_count_for_a_builder_judged_from_its_configuration(home, kb) -> None:
    # buildx driver/docker-container/factory.go: `env.NAME=value` is the container's Env, so
    # env.PATH decides which buildkit-runc or runc buildkitd finds; the image's bundled runc
    # cannot be assumed then.
    name = unique()
    node = store_node(name + "0", image="moby/buildkit:v0.12.5")
    node["DriverOpts"]["env.PATH"] = "/opt/crun-as-runc:/usr/bin"
    home.write_builder(name, [node])

    [facts] = check(home, name, kb)

    assert facts.runtime is not None and facts.runtime.identity.name is None
    assert facts.runtime.error is not None and "/opt/crun-as-runc:/usr/bin" in facts.runtime.error
    node["DriverOpts"]["env.PATH"] = buildkitd_container.STOCK_PATH  # the image's own: as before
    home.write_builder(name, [node])
    [same] = check(home, name, kb)
    assert same.runtime is not None and same.runtime.identity.name == "runc"


@pytest.mark.parametrize("path", ["/opt/crun-as-runc:/usr/bin", None])
def test_a_stopped_container_s_env_counts(
    home, make_container, test_images, kb, engine, path
) -> None:
    # A stopped container is judged from its Config; its Env (env.* options) is part of it.
    name = unique()
    tag = f"rtc-{uuid.uuid4().hex[:8]}"
    engine.images.get(test_images["buildkit_v0_12"]).tag("moby/buildkit", tag)
    try:
        image = f"moby/buildkit:{tag}"  # a stock image name, so the PATH is what decides
        home.write_builder(name, [store_node(name + "0", image=image)])
        make_container(image, name=f"buildx_buildkit_{name}0", command=[], start=False,
                       init=True, environment={"PATH": path} if path else {})  # fmt: skip
        [facts] = check(home, name, kb)
    finally:
        engine.images.remove(f"moby/buildkit:{tag}", noprune=True)
    assert facts.status == "stopped" and facts.runtime is not None
    error = facts.runtime.error or ""
    assert ("(env.PATH)" in error) == bool(path), error


def test_one_node_down_does_not_hide_the_other(
    home, make_container, test_images, tmp_path, kb
) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    nothing = f"unix://{tmp_path}/nothing.sock"
    home.write_builder(
        name,
        [
            store_node(name + "0", image=image),
            store_node(name + "1", image=image, endpoint=nothing),
            store_node(name + "2", image=image),  # its container is gone
        ],
    )
    make_builder_container(make_container, name + "0", image, [])

    facts = check(home, name, kb)

    assert [f.node for f in facts] == [name + "0", name + "1", name + "2"]
    assert facts[0].error is None and facts[0].runtime is not None and facts[0].runtime.verified
    assert facts[1].error is not None and "nothing listens" in facts[1].error
    assert facts[1].status == "unreachable"
    assert facts[2].status == "inactive" and facts[2].error is None


def test_hanging_runtime_is_bounded(home, make_container, test_images, kb) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    flags = ["--oci-worker-binary=/usr/bin/hang"]
    home.write_builder(name, [store_node(name + "0", image=image, flags=flags)])
    container = make_builder_container(make_container, name + "0", image, flags, start=False)
    put_file(container, "/usr/bin", "hang", b"#!/bin/sh\nexec sleep 600\n", mode=0o755)
    container.start()

    [facts] = check(home, name, kb, timeout=8.0)

    assert facts.runtime is not None
    assert facts.runtime.identity.name is None
    assert facts.runtime.error or all(p.status == "unknown" for p in facts.runtime.probes.values())
    assert verdict.decide(kb, facts, frozenset()).verdict != PASS


def test_unknown_driver_is_a_builder_error(home, kb) -> None:
    name = unique()
    home.write_builder(name, [{"Name": name + "0"}], driver="cloud")
    with pytest.raises(Exception) as info:
        check(home, name, kb)
    assert "cloud" in str(info.value)


def test_static_runtime_of_a_stock_image_comes_from_the_knowledge_base(kb) -> None:
    builder = store.Builder("b", "docker-container", [store.Node("b0", None)])
    observed = buildkitd_container.Observed(
        image="moby/buildkit:v0.15.1", cmd=[], config_text=None, status="stopped"
    )
    facts = buildkitd_container.node_facts(
        builder, builder.nodes[0], None, observed, kb, driver="docker-container"
    )
    assert facts.runtime is not None and not facts.runtime.verified
    assert (facts.runtime.identity.name, facts.runtime.identity.version) == ("runc", "1.1.13")
    assert facts.buildkit.version == "v0.15.1"


def test_a_cold_check_is_one_inspect_and_one_exec(home, make_container, test_images, kb) -> None:
    """On a local daemon, without the docker SDK: its import alone costs more than the exec."""
    from runtimecheck import engine as engine_mod

    name = unique()
    image = test_images["buildkit_v0_12"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    make_builder_container(make_container, name + "0", image, [])

    before = engine_mod.round_trips()
    [facts] = check(home, name, kb)

    assert facts.error is None and facts.runtime is not None and facts.runtime.verified
    # GET the container, then the exec's create, start and inspect: no GET /version.
    assert engine_mod.round_trips() - before == 4


def test_a_local_socket_is_asked_directly_and_the_same_answers_come_back(
    home, make_container, test_images
) -> None:
    from runtimecheck import engine as engine_mod

    container = make_container(test_images["runtimes"], command=["sleep", "600"])
    direct = engine_mod.connect(home.cfg.endpoint, timeout=10, ask_version=True)
    sdk = engine_mod._connect_sdk(home.cfg.endpoint, 10, ask_version=True)
    try:
        assert isinstance(direct, engine_mod.SocketEngine)
        assert direct.version["Version"] == sdk.version["Version"]
        attrs = direct.inspect_container(container.name)
        assert attrs is not None and attrs["Id"] == sdk.inspect_container(container.name)["Id"]
        argv = ["sh", "-c", "echo out; echo err >&2; exit 3"]
        assert direct.exec_transport(attrs)(argv, 30) == (3, b"out\n", b"err\n")
        assert sdk.exec_transport(attrs)(argv, 30) == (3, b"out\n", b"err\n")
        assert direct.archive(container.name, "/etc/hostname", 1 << 20) is not None
        assert direct.archive(container.name, "/nonexistent", 1 << 20) is None
        with pytest.raises(engine_mod.TooLarge):
            direct.archive(container.name, "/bin", 1024)
    finally:
        direct.close()
        sdk.close()


def test_the_unversioned_inspect_adopts_the_daemons_api_version(
    home, make_container, test_images, engine
) -> None:
    from runtimecheck import engine as engine_mod

    container = make_container(test_images["runtimes"], command=["sleep", "600"])
    # The SDK's client (a daemon elsewhere than on a local socket is reached through it).
    client = engine_mod._connect_sdk(home.cfg.endpoint, 10, ask_version=False)
    try:
        attrs = client.inspect_container(container.name)
        assert attrs is not None and attrs["Id"] == container.id
        assert client.api_version_known
        assert client.api._version == engine.version()["ApiVersion"]
        assert client.inspect_container(unique("gone")) is None
    finally:
        client.close()


def test_a_daemon_that_never_answers_holds_up_only_its_node(
    home, make_container, test_images, tmp_path, kb
) -> None:
    import socket

    name = unique()
    image = test_images["buildkit_v0_12"]
    mute = tmp_path / "mute.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(mute))
    server.listen()
    home.write_builder(
        name,
        [
            store_node(name + "0", image=image),
            store_node(name + "1", image=image, endpoint=f"unix://{mute}"),
        ],
    )
    make_builder_container(make_container, name + "0", image, [])
    try:
        facts = check(home, name, kb, timeout=8.0)
    finally:
        server.close()

    assert facts[0].error is None and facts[0].runtime is not None and facts[0].runtime.verified
    assert facts[1].status == "unreachable" and facts[1].error is not None
    assert "did not answer within 8 s" in facts[1].error


def test_a_config_flag_naming_a_directory_is_not_read_whole(
    home, make_container, test_images, kb
) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    flags = ["--config", "/usr"]
    home.write_builder(name, [store_node(name + "0", image=image, flags=flags)])
    make_builder_container(make_container, name + "0", image, flags, start=False)

    [facts] = check(home, name, kb)

    assert facts.error is None and facts.status == "stopped"
    assert any("/usr in the stopped container was not read" in n for n in facts.notes)


def test_a_node_endpoint_naming_a_docker_context(home, make_container, test_images, kb) -> None:
    from runtimecheck.dockercli import context_dir_name

    name = unique()
    image = test_images["buildkit_v0_12"]
    meta = home.docker_config / "contexts" / "meta" / context_dir_name("local") / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": "local", "Endpoints": {"docker": {"Host": home.host}}}))
    home.write_builder(
        name,
        [
            store_node(name + "0", image=image, endpoint="local"),
            store_node(name + "1", image=image, endpoint="removed-context"),
        ],
    )
    make_builder_container(make_container, name + "0", image, [])

    local, removed = check(home, name, kb)

    assert local.error is None and local.runtime is not None and local.runtime.verified
    assert local.endpoint == home.host
    assert removed.status == "unreachable" and removed.error is not None
    assert "'removed-context'" in removed.error and "docker context ls" in removed.error


# --- where BuildKit runs: /sys/fs/cgroup and the user, learnt in the same exec ---------------

CGROUP2_SUPER_MAGIC = "63677270"
STANDINS = Path(__file__).resolve().parents[1] / "standins"


def container_cgroup(container: Any) -> str:
    """What statfs says of /sys/fs/cgroup in the container, asked independently."""
    code, out = container.exec_run(["stat", "-f", "-c", "%t", "/sys/fs/cgroup"])
    assert code == 0, out
    return "v2" if out.decode().strip() == CGROUP2_SUPER_MAGIC else "v1"


def with_runtime(make_container: Any, node: str, image: str, standin: str, **kw: Any) -> Any:
    """A builder container whose buildkit-runc is a stand-in from tests/standins."""
    container = make_builder_container(make_container, node, image, [], start=False, **kw)
    put_file(container, "/usr/bin", "buildkit-runc", (STANDINS / standin).read_bytes(), 0o755)
    container.start()
    container.reload()
    return container


def test_the_cgroup_version_and_user_are_learnt_in_the_probe(
    home, make_container, test_images, kb
) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    container = make_builder_container(make_container, name + "0", image, [])

    [facts] = check(home, name, kb)

    assert facts.buildkit.cgroup == container_cgroup(container)
    assert facts.buildkit.rootless is False
    assert f"in container buildx_buildkit_{name}0" in facts.buildkit.environment
    assert "rootful: the container runs as root" in facts.buildkit.environment


def test_youki_keep_costs_what_a_failing_delete_costs_on_this_machine(
    home, make_container, test_images, kb
) -> None:
    """youki deletes the container when it exits, so BuildKit's delete finds none: on
    cgroup v2 (rootful) that error is dropped, on cgroup v1 or hybrid it fails the step."""
    name = unique()
    image = test_images["buildkit_v0_12"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    container = with_runtime(make_container, name + "0", image, "youki-0.4.1")

    [facts] = check(home, name, kb)
    result = verdict.decide(kb, facts, frozenset())

    assert facts.runtime is not None
    assert (facts.runtime.identity.name, facts.runtime.identity.version) == ("youki", "0.4.1")
    keep = next(c for c in result.checks if c.id == "run-keep")
    assert keep.status == "ignored"
    if container_cgroup(container) == "v2":
        assert (keep.verdict, result.verdict) == ("warn", "warn")
        assert "cgroup v2 host" in keep.reason
    else:
        assert (keep.verdict, result.verdict) == ("block", "block")
        assert "delete's error becomes the step's" in keep.reason


def test_a_builder_running_as_a_user_is_rootless_and_delete_fails_there(
    home, make_container, test_images, kb
) -> None:
    name = unique()
    image = test_images["buildkit_v0_12"]
    home.write_builder(name, [store_node(name + "0", image=image)])
    with_runtime(make_container, name + "0", image, "youki-0.4.1", user="1000")

    [facts] = check(home, name, kb)

    assert facts.buildkit.rootless is True
    assert "rootless: the container runs as uid 1000" in facts.buildkit.environment
    keep = next(c for c in verdict.decide(kb, facts, frozenset()).checks if c.id == "run-keep")
    assert keep.verdict == "block"  # whatever the cgroup version: no resource record


def test_youki_keep_on_a_recorded_cgroup_v2_container(kb) -> None:
    """What the probe script reports from the recorded mountinfo of a container on a cgroup
    v2 host (tests/fixtures/proc), as root: the ignored --keep only warns."""
    from runtimecheck.facts import ProbeOutcome, RuntimeFacts, RuntimeIdentity
    from runtimecheck.probe import environment

    mountinfo = STANDINS.parent / "fixtures" / "proc" / "mountinfo-docker-desktop-cgroup2.txt"
    mount = environment.cgroup_mount(mountinfo.read_text())
    seen = environment.from_record(
        mount.fstype or "none", mount.line, "0 0 4294967295", "Uid:\t0\t0\t0\t0"
    )
    builder = store.Builder("b", "docker-container", [store.Node("b0", None)])
    runtime = RuntimeFacts(
        path="/usr/bin/buildkit-runc",
        identity=RuntimeIdentity("youki", "0.4.1"),
        probes={
            i.id: ProbeOutcome(i.id, ACCEPTED, "exit 255: does not exist") for i in kb.invocations()
        },
        verified=True,
        where="container buildx_buildkit_b0",
    )
    observed = buildkitd_container.Observed(
        image="moby/buildkit:v0.12.5", cmd=[], config_text=None, status="running",
        buildkitd_version_output="buildkitd github.com/moby/buildkit v0.12.5 bac3f2b",
        default_runtime_on_path=True, runtime=runtime, environment=seen,
        where="container buildx_buildkit_b0",
    )  # fmt: skip
    facts = buildkitd_container.node_facts(
        builder, builder.nodes[0], None, observed, kb, driver="docker-container"
    )
    assert (facts.buildkit.cgroup, facts.buildkit.rootless) == ("v2", False)
    result = verdict.decide(kb, facts, frozenset())
    keep = next(c for c in result.checks if c.id == "run-keep")
    assert (keep.status, keep.verdict, result.verdict) == ("ignored", "warn", "warn")


@pytest.mark.parametrize(
    ("image", "uid_map", "uid", "rootless"),
    [
        ("moby/buildkit:v0.12.5-rootless", None, None, True),  # not probed: from the image
        ("moby/buildkit:rootless", None, None, True),
        ("moby/buildkit:v0.12.5", None, None, None),
        ("moby/buildkit:v0.12.5", "0 0 4294967295", "Uid:\t0\t0\t0\t0", False),
        ("moby/buildkit:v0.12.5", "0 100000 65536", "Uid:\t0\t0\t0\t0", True),
        ("moby/buildkit:v0.12.5-rootless", "0 0 4294967295", "Uid:\t1000\t1000\t1000\t1000", True),
    ],
)
def test_rootless_from_the_image_or_from_what_the_probe_saw(
    kb, image, uid_map, uid, rootless
) -> None:
    from runtimecheck.probe import environment

    builder = store.Builder("b", "docker-container", [store.Node("b0", None)])
    seen = None
    if uid_map is not None:
        seen = environment.from_record(
            "tmpfs", "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw", uid_map, uid
        )
    observed = buildkitd_container.Observed(
        image=image, cmd=[], config_text=None, status="stopped", environment=seen
    )
    facts = buildkitd_container.node_facts(
        builder, builder.nodes[0], None, observed, kb, driver="docker-container"
    )
    assert facts.buildkit.rootless is rootless
    assert facts.buildkit.cgroup == (None if seen is None else "v1")


# --- the bundled runc prints no version: it comes from the moby/buildkit release -------------


def probed_as(home: BuildxHome, container: Any, image: str, kb: Any) -> NodeFacts:
    """The real probe of `container` (one exec), judged as a builder whose image is named
    `image`: the test image stands in for moby/buildkit, which cannot be pulled here."""
    from runtimecheck import engine as engine_mod

    node = store.Node(container.name.removeprefix("buildx_buildkit_"), None)
    builder = store.Builder("b", "docker-container", [node])
    client = engine_mod.connect(home.cfg.endpoint, timeout=20, ask_version=False)
    try:
        transport = client.exec_transport(client.inspect_container(container.name))
        observed = buildkitd_container.Observed(
            image=image, cmd=[], config_text=None, status="running"
        )
        buildkitd_container.probe_running(
            transport, f"container {container.name}", node, observed,
            "/etc/buildkit/buildkitd.toml", kb, 20.0,
        )  # fmt: skip
    finally:
        client.close()
    return buildkitd_container.node_facts(
        builder, node, None, observed, kb, driver="docker-container"
    )


@pytest.mark.parametrize(
    ("image", "version", "release"),
    [
        ("moby/buildkit:v0.18.0", "1.2.2", "image moby/buildkit:v0.18.0"),
        # buildx's default names no version: buildkitd --version (v0.12.5 here) does.
        (
            "moby/buildkit:buildx-stable-1",
            "1.1.12",
            "image moby/buildkit:v0.12.5 (buildkitd --version)",
        ),
    ],
)
def test_an_unstamped_bundled_runc_gets_its_version_from_the_release(
    home, make_container, test_images, kb, image, version, release
) -> None:
    node = unique()
    container = with_runtime(
        make_container, node, test_images["buildkit_v0_12"], "runc-1.2.2-buildkit-unstamped"
    )

    facts = probed_as(home, container, image, kb)

    runtime = facts.runtime
    assert runtime is not None and runtime.verified
    assert runtime.path == "/usr/bin/buildkit-runc"
    assert runtime.identity.raw.startswith("runc version unknown\n")
    assert (runtime.identity.name, runtime.identity.version) == ("runc", version)
    assert runtime.version_source == release
    assert any("prints no version" in n and f"{version} is the runc" in n for n in facts.notes)
    assert verdict.decide(kb, facts, frozenset()).verdict == PASS


def test_an_unstamped_runc_outside_a_moby_buildkit_image_stays_unversioned(
    home, make_container, test_images, kb
) -> None:
    container = with_runtime(
        make_container, unique(), test_images["buildkit_v0_12"], "runc-1.2.2-buildkit-unstamped"
    )

    facts = probed_as(home, container, test_images["buildkit_v0_12"], kb)

    assert facts.runtime is not None
    assert (facts.runtime.identity.name, facts.runtime.identity.version) == ("runc", None)
    assert facts.runtime.version_source == ""
    assert not any("prints no version" in n for n in facts.notes)
