"""The kubernetes driver through `kubectl`, with a stand-in kubectl (support.kubectl: no
cluster here; the runtime probed in each "pod" is a real one in a test container)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Optional

import pytest

from runtimecheck import verdict
from runtimecheck.builders import gather, kubernetes, store
from runtimecheck.dockercli import GlobalOptions, resolve
from runtimecheck.facts import BLOCK, PASS
from support import kubectl
from support.kubectl import pod
from support.paths import FIXTURES

STORE_FIXTURES = FIXTURES / "buildx-store"


def test_parse_endpoint() -> None:
    ep = kubernetes.parse_endpoint("kubernetes:///kube?deployment=builder-amd64&kubeconfig=/k/c")
    assert (ep.builder, ep.deployment, ep.kubeconfig) == ("kube", "builder-amd64", "/k/c")
    assert (
        kubernetes.parse_endpoint("kubernetes:///kube?deployment=x&kubeconfig=").kubeconfig is None
    )


def test_parse_recorded_pods() -> None:
    pods = kubernetes.parse_pods((STORE_FIXTURES / "pods-two-replicas.json").read_text())
    assert [p.name for p in pods] == [
        "builder-amd64-7d9f8b6c5-abcde",
        "builder-amd64-7d9f8b6c5-fghij",
    ]
    assert all(p.args == ["--oci-worker-binary=crun"] and p.phase == "Running" for p in pods)
    assert pods[0].image == "moby/buildkit:v0.12.5" and pods[0].namespace == "buildkit"


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return kubectl.install(tmp_path, monkeypatch)


def kube_builder(stand_in: Path) -> store.Builder:
    return store.parse_instance(
        "kube", stand_in / "kube", (STORE_FIXTURES / "kube.json").read_bytes()
    )


@pytest.mark.engine
def test_every_replica_is_probed(stand_in: Path, make_container, test_images, kb) -> None:
    suffix = uuid.uuid4().hex[:6]
    bad = make_container(test_images["crun_as_runc"], command=[])
    good = make_container(test_images["buildkit_v0_12"], command=[])
    pods = {f"builder-amd64-{suffix}-a": bad, f"builder-amd64-{suffix}-b": good}
    for name, container in pods.items():
        (stand_in / "map" / name).write_text(container.name)
    (stand_in / "pods.json").write_text(
        json.dumps({"items": [pod(n, "moby/buildkit:v0.12.5", []) for n in pods]})
    )
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})
    builder = kube_builder(stand_in)

    facts = gather.inspect_builder(cfg, builder, kb=kb)

    assert [f.node for f in facts] == [f"builder-amd64/{n}" for n in pods]
    first, second = facts
    assert first.runtime is not None and first.runtime.verified
    assert first.runtime.identity.name == "crun"
    assert first.runtime.where == f"pod buildkit/builder-amd64-{suffix}-a"
    assert first.buildkit.version == "v0.12.5"
    assert second.runtime is not None and second.runtime.identity.name == "runc"
    assert first.fix_context.node == "builder-amd64" and first.driver == "kubernetes"
    assert verdict.decide(kb, first, frozenset()).verdict == BLOCK
    assert verdict.decide(kb, second, frozenset()).verdict == PASS

    log = (stand_in / "argv.log").read_text().splitlines()
    assert log[0] == "--namespace buildkit get pods -l app=builder-amd64 -o json"
    execs = [line for line in log if line.startswith("--namespace buildkit exec ")]
    assert [line.split()[3] for line in execs] == list(pods)  # one exec per pod
    assert all(" -c buildkitd -- sh -c " in line for line in execs)


def test_no_pods_means_not_started(stand_in: Path, kb) -> None:
    (stand_in / "pods.json").write_text(json.dumps({"items": []}))
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})
    builder = kube_builder(stand_in)
    [facts] = gather.inspect_builder(cfg, builder, kb=kb)
    assert facts.status == "inactive" and facts.error is None
    assert any("no pod with label app=" in n and "not been started" in n for n in facts.notes)


def test_kubectl_failure_is_a_node_error(stand_in: Path, kb) -> None:
    (stand_in / "bin" / "kubectl").write_text("#!/bin/sh\necho 'error: no context' >&2\nexit 1\n")
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})
    builder = kube_builder(stand_in)
    [facts] = gather.inspect_builder(cfg, builder, kb=kb)
    assert facts.error is not None and "no context" in facts.error


def test_pods_whose_buildkitd_does_not_run_are_judged_from_their_spec(stand_in: Path, kb) -> None:
    crashing = {"waiting": {"reason": "CrashLoopBackOff"}}
    pending = {"waiting": {"reason": "ContainerCreating"}}
    (stand_in / "pods.json").write_text(
        json.dumps(
            {
                "items": [
                    pod(
                        "b-a", "moby/buildkit:v0.12.5", ["--oci-worker-binary=crun"], state=crashing
                    ),
                    pod("b-b", "moby/buildkit:v0.12.5", [], phase="Pending", state=pending),
                ]
            }
        )
    )
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})

    crash, waiting = gather.inspect_builder(cfg, kube_builder(stand_in), kb=kb)

    # Statuses stay within the documented set; nothing was exec'd into either pod.
    assert (crash.status, waiting.status) == ("stopped", "stopped")
    assert any("buildkitd is CrashLoopBackOff" in n for n in crash.notes)
    assert any("buildkitd is Pending" in n for n in waiting.notes)
    assert crash.fix_context.binary_override == "crun"
    assert crash.runtime is not None and not crash.runtime.verified
    assert not any("--bootstrap" in n for n in crash.notes + waiting.notes)
    log = (stand_in / "argv.log").read_text()
    assert " exec " not in log


CRUN_TOML = b'[worker.oci]\nbinary = "crun"\n'


def rootless_builder(stand_in: Path, opts: dict, flags: Optional[list] = None) -> store.Builder:
    import base64

    doc = json.loads((STORE_FIXTURES / "kube.json").read_text())
    doc["Nodes"][0]["DriverOpts"].update(opts)
    doc["Nodes"][0]["Flags"] = flags
    doc["Nodes"][0]["Files"] = {"buildkitd.toml": base64.b64encode(CRUN_TOML).decode()}
    return store.parse_instance("kube", stand_in / "kube", json.dumps(doc).encode())


@pytest.mark.engine
@pytest.mark.parametrize(
    ("args", "judged"),
    [
        # docker/buildx v0.36.1 driver/kubernetes: rootless → the rootless image and
        # --oci-worker-no-process-sandbox (manifest.go toRootless), files at /etc/buildkit and
        # no --config; rootless buildkitd reads $HOME/.config/buildkit/buildkitd.toml
        # (moby/buildkit cmd/buildkitd/main.go defaultConfigPath): crun there is not used.
        (["--oci-worker-no-process-sandbox"], "runc"),
        # A --config in the pod's args is what buildkitd reads.
        (["--config=/etc/buildkit/buildkitd.toml", "--oci-worker-no-process-sandbox"], "crun"),
    ],
)
def test_rootless_pods_read_their_user_s_config_not_etc_buildkit(
    stand_in: Path, make_container, test_images, args: list, judged: str, kb
) -> None:
    from support.containers import put_file

    container = make_container(test_images["buildkit_v0_12"], command=[])
    put_file(container, "/etc/buildkit", "buildkitd.toml", CRUN_TOML)  # as buildx mounts it
    (stand_in / "map" / "builder-amd64-x").write_text(container.name)
    (stand_in / "pods.json").write_text(json.dumps({"items": [
        pod("builder-amd64-x", "moby/buildkit:buildx-stable-1-rootless", args)]}))  # fmt: skip
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})

    [facts] = gather.inspect_builder(cfg, rootless_builder(stand_in, {"rootless": "true"}), kb=kb)

    assert facts.runtime is not None and facts.runtime.identity.name == judged
    assert verdict.decide(kb, facts, frozenset()).verdict == (PASS if judged == "runc" else BLOCK)
    if judged == "runc":
        assert facts.fix_context.binary_override is None
        assert any("/home/user/.config/buildkit/buildkitd.toml" in n for n in facts.notes)


def test_a_rootless_builder_not_started_is_judged_without_etc_buildkit(stand_in: Path, kb) -> None:
    (stand_in / "pods.json").write_text(json.dumps({"items": []}))
    (stand_in / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})
    builder = rootless_builder(stand_in, {"rootless": "true"})
    [facts] = gather.inspect_builder(cfg, builder, kb=kb)
    assert facts.fix_context.binary_override is None  # /etc/buildkit's crun is not read
    assert facts.fix_context.image == "moby/buildkit:buildx-stable-1-rootless"
    # Rootful, the same stored file is what buildkitd reads.
    [rootful] = gather.inspect_builder(cfg, rootless_builder(stand_in, {}), kb=kb)
    assert rootful.fix_context.binary_override == "crun"


@pytest.mark.parametrize(
    ("env", "version", "path"),
    [
        (
            {"HOME": "/home/user", "USER": "user"},
            "v0.12.5",
            "/home/user/.config/buildkit/buildkitd.toml",
        ),
        (
            {"HOME": "/home/user", "USER": "user", "XDG_CONFIG_HOME": "/cfg"},
            None,
            "/cfg/buildkit/buildkitd.toml",
        ),
        # From v0.13.0 (commit bb8f9f7ff, isRootlessConfig) only for a $USER that is not root.
        ({"HOME": "/root", "USER": "root"}, "v0.13.0", "/etc/buildkit/buildkitd.toml"),
        ({"HOME": "/root"}, "v0.12.5", "/root/.config/buildkit/buildkitd.toml"),
        ({}, "v0.12.5", "/etc/buildkit/buildkitd.toml"),
    ],
)
def test_the_config_a_buildkitd_in_a_user_namespace_reads(env, version, path) -> None:
    from runtimecheck.builders import buildkitd

    assert buildkitd.default_config_path(True, env, version) == path
    assert buildkitd.default_config_path(False, env, version) == "/etc/buildkit/buildkitd.toml"
