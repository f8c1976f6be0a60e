"""The remote driver's kube-pod:// endpoint, through a stand-in kubectl (support.kubectl: no
cluster here; the runtime probed in each "pod" is a real one in a test container)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from runtimecheck import knowledge, verdict
from runtimecheck.builders import gather, kube_pod, store
from runtimecheck.dockercli import GlobalOptions, resolve
from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import BLOCK, PASS
from support import kubectl
from support.kubectl import pod


# moby/buildkit client/connhelper/kubepod/kubepod_test.go TestSpecFromURL, and the case of
# the pod name kept (Go's url.Hostname does not lower it; SpecFromURL then refuses it).
@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("kube-pod://podname", kube_pod.PodSpec("podname")),
        (
            "kube-pod://podname?container=containername&namespace=nsname&context=ctxname",
            kube_pod.PodSpec("podname", "nsname", "ctxname", "containername"),
        ),
        (
            "kube-pod://podname?container=containername&namespace=nsname&context=user@cluster",
            kube_pod.PodSpec("podname", "nsname", "user@cluster", "containername"),
        ),
        ("kube-pod://", None),
        ("kube-pod://unsupported_pod_name", None),
        ("kube-pod://podname?container=unsupported_container_name&namespace=nsname", None),
        ("kube-pod://podname?container=containername&namespace=unsupported_ns_name", None),
        ("kube-pod://PodName", None),
    ],
)
def test_the_endpoint_is_read_as_buildkit_reads_it(endpoint: str, expected) -> None:
    if expected is None:
        with pytest.raises(RuntimecheckError):
            kube_pod.parse_endpoint(endpoint)
    else:
        assert kube_pod.parse_endpoint(endpoint) == expected


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return kubectl.install(tmp_path, monkeypatch)


def remote_builder(stand_in: Path, endpoint: str) -> store.Builder:
    doc = {"Name": "farm", "Driver": "remote", "Nodes": [{"Name": "farm0", "Endpoint": endpoint}]}
    return store.parse_instance("farm", stand_in / "farm", json.dumps(doc).encode())


def check(stand_in: Path, endpoint: str):
    (stand_in / "docker").mkdir(exist_ok=True)
    cfg = resolve(GlobalOptions(config=str(stand_in / "docker")), env={})
    kb = knowledge.load()
    [facts] = gather.inspect_builder(cfg, remote_builder(stand_in, endpoint), kb=kb)
    return facts, kb


def put_pod(stand_in: Path, item: dict, container=None) -> None:
    (stand_in / "map" / f"{item['metadata']['name']}.json").write_text(json.dumps(item))
    if container is not None:
        (stand_in / "map" / item["metadata"]["name"]).write_text(container.name)


@pytest.mark.engine
@pytest.mark.parametrize(
    ("image", "args", "judged", "expected"),
    [
        ("crun_as_runc", [], "crun", BLOCK),  # crun installed as buildkit-runc and runc
        ("buildkit_v0_12", ["--oci-worker-binary=crun"], "crun", BLOCK),
        ("buildkit_v0_12", [], "runc", PASS),  # the stock layout: runc as buildkit-runc
    ],
)
def test_the_pod_is_probed_where_buildkit_dials_it(
    stand_in: Path, make_container, test_images, image, args, judged, expected
) -> None:
    container = make_container(test_images[image], command=[])
    name = f"buildkitd-{uuid.uuid4().hex[:6]}"
    put_pod(stand_in, pod(name, "moby/buildkit:v0.12.5", args), container)
    endpoint = f"kube-pod://{name}?namespace=buildkit&context=kind-ci&container=buildkitd"

    facts, kb = check(stand_in, endpoint)

    assert facts.error is None and facts.driver == "remote" and facts.endpoint == endpoint
    assert facts.runtime is not None and facts.runtime.verified
    assert facts.runtime.identity.name == judged
    assert facts.runtime.where == f"pod buildkit/{name}"
    assert (facts.buildkit.version, facts.buildkit.source) == ("v0.12.5", "buildkitd --version")
    assert verdict.decide(kb, facts, frozenset()).verdict == expected
    # kubepod.go: `kubectl --context=CTX --namespace=NS exec --container=C -i POD -- …`
    calls = [c for c in (stand_in / "argv.log").read_text().splitlines() if c.startswith("--")]
    assert calls[0] == f"--context=kind-ci --namespace=buildkit get pod {name} -o json"
    exec_call = (
        f"--context=kind-ci --namespace=buildkit exec --container=buildkitd {name} -- sh -c "
    )
    assert calls[1].startswith(exec_call) and len(calls) == 2  # one exec


@pytest.mark.engine
def test_without_container_the_pod_s_default_container_is_read(
    stand_in: Path, make_container, test_images
) -> None:
    # kubectl exec without --container takes the annotated default container (KEP-2227): the
    # spec read is that container's, and the exec goes where kubectl sends it.
    container = make_container(test_images["buildkit_v0_12"], command=[])
    name = f"buildkitd-{uuid.uuid4().hex[:6]}"
    annotated = {"kubectl.kubernetes.io/default-container": "buildkitd"}
    item = pod(name, "moby/buildkit:v0.12.5", ["--oci-worker-binary=crun"], sidecar_first=True,
               annotations=annotated)  # fmt: skip
    put_pod(stand_in, item, container)

    facts, _ = check(stand_in, f"kube-pod://{name}")

    assert facts.runtime is not None and facts.runtime.identity.name == "crun"
    assert facts.fix_context.binary_override == "crun"
    assert any(f"pod {name} (container buildkitd)" in n for n in facts.notes)
    log = (stand_in / "argv.log").read_text().splitlines()
    assert log[0] == f"get pod {name} -o json"
    assert log[1].startswith(f"exec {name} -- sh -c ")


def test_a_pod_whose_buildkitd_does_not_run_is_judged_from_its_spec(stand_in: Path) -> None:
    pending = {"waiting": {"reason": "ContainerCreating"}}
    put_pod(stand_in, pod("bk", "moby/buildkit:v0.12.5", ["--oci-worker-binary=crun"],
                          phase="Pending", state=pending))  # fmt: skip
    facts, _ = check(stand_in, "kube-pod://bk")
    assert facts.error is None and facts.status == "stopped"
    assert facts.runtime is not None and not facts.runtime.verified
    assert facts.fix_context.binary_override == "crun"
    assert any("buildkitd is Pending" in n for n in facts.notes)
    assert " exec " not in (stand_in / "argv.log").read_text()


def test_a_pod_that_is_not_there_is_not_inspected_with_the_next_step(stand_in: Path) -> None:
    facts, _ = check(stand_in, "kube-pod://gone?namespace=buildkit")
    assert facts.status == "unreachable" and facts.runtime is None
    assert facts.error is not None
    assert 'pods "gone" not found' in facts.error
    assert "make `kubectl --namespace=buildkit get pod gone -o json` work" in facts.error


def test_without_kubectl_the_node_is_not_inspected_with_the_next_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    facts, _ = check(tmp_path, "kube-pod://bk")
    assert facts.status == "unreachable" and facts.error is not None
    assert "kubectl cannot be run" in facts.error and "install kubectl" in facts.error


def test_a_pod_name_buildkit_refuses_is_said(stand_in: Path) -> None:
    facts, _ = check(stand_in, "kube-pod://Build_Kitd")
    assert facts.error is not None and "unsupported pod name 'Build_Kitd'" in facts.error
    assert not (stand_in / "argv.log").exists()  # kubectl was not asked


def test_a_container_the_pod_lacks_is_said(stand_in: Path) -> None:
    put_pod(stand_in, pod("bk", "moby/buildkit:v0.12.5", []))
    facts, _ = check(stand_in, "kube-pod://bk?container=other")
    assert facts.error == "pod bk has no container other"
