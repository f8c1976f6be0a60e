"""The behaviour probe (`--deep`) inside builder containers, in the same exec as the probes.

A builder-shaped container as buildx makes it (the local buildkit test image, buildkitd under
docker's init) cannot create containers when it is unprivileged: the sequence is "not run",
with the reason. On this machine privileged containers cannot start at all (the capability
bounding set lacks CAP_SYS_RESOURCE, which --privileged asks for), so the builders that can run
it are as close to privileged as the machine allows: every capability it has, no seccomp or
AppArmor profile and the cgroup filesystem writable, as BuildKit needs.
"""

from __future__ import annotations

import json
import time

import pytest

from runtimecheck.behaviour import BEHAVES, DIFFERS, NOT_RUN
from runtimecheck.probe.incontainer import docker_exec_transport, run_in_container
from support import privileges
from support.containers import put_file
from support.deep import DROPS_KEEP, Leftovers
from support.runtimes import BUILDKIT_INVOCATIONS, IDS

pytestmark = pytest.mark.engine

CANDIDATES = ["buildkit-runc", "runc"]  # BuildKit's own order

# As privileged as this machine allows.
BUILDER_PRIVILEGES = privileges.container_settings()


@pytest.fixture
def leftovers(tmp_path):
    """On this machine: the cgroups and processes the probes in the containers made."""
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    found = Leftovers(nothing)
    yield found
    found.assert_none(within=5)


@pytest.fixture
def builder(make_container, test_images):
    """A builder-shaped container (buildkitd under docker's init, as buildx runs it) of one of
    the local test images, with `files` put in before it starts."""

    def start(image="buildkit_v0_12", files=(), **settings):
        container = make_container(test_images[image], init=True, start=False, **settings)
        for directory, name, data in files:
            put_file(container, directory, name, data, 0o755)
        container.start()
        container.reload()
        return container

    return start


def processes(container):
    listing = container.exec_run(["ps", "-o", "pid,stat,args"]).output.decode()
    rows = [line.split(None, 2) for line in listing.splitlines()[1:]]
    return {(pid, args) for pid, stat, args in rows if not stat.startswith("Z")} - {
        (pid, args) for pid, _, args in rows if args.startswith("ps -o")
    }


def deep_probe(container):
    before = processes(container)
    started = time.monotonic()
    probe = run_in_container(
        docker_exec_transport(container),
        candidates=CANDIDATES,
        invocations=BUILDKIT_INVOCATIONS,
        deep=True,
        where=f"container {container.name}",
    )
    assert time.monotonic() - started < 20
    # Nothing of the probe left in the container: no process, no file in its /tmp.
    assert processes(container) == before
    assert container.exec_run(["ls", "-A", "/tmp"]).output == b""
    return probe.runtime


def test_an_unprivileged_builder_says_why_the_sequence_was_not_run(builder, leftovers):
    runtime = deep_probe(builder())
    # The parse probes are as without --deep.
    assert (runtime.identity.name, runtime.path) == ("runc", "/usr/bin/buildkit-runc")
    assert {k: v.status for k, v in runtime.probes.items()} == dict.fromkeys(IDS, "accepted")
    found = runtime.behaviour
    assert found.result == NOT_RUN
    assert found.reason.startswith("no CAP_SYS_ADMIN (CapEff ")
    assert found.reason.endswith("): an unprivileged container cannot create containers")
    assert found.steps == []


def test_a_builder_with_read_only_cgroups_says_so(builder, leftovers):
    runtime = deep_probe(builder(cap_add=["SYS_ADMIN"]))
    found = runtime.behaviour
    assert found.result == NOT_RUN
    assert found.reason.startswith("the cgroup filesystem at /sys/fs/cgroup")
    assert found.reason.endswith(" is read-only")


def test_runc_in_a_builder_behaves_as_buildkit_needs(builder, leftovers):
    runtime = deep_probe(builder(**BUILDER_PRIVILEGES))
    found = runtime.behaviour
    assert (found.result, found.left) == (BEHAVES, None), found.reason
    assert [s.name for s in found.steps][-1] == "kill-delete"


def test_crun_as_runc_in_a_builder_refuses_keep(builder, leftovers):
    runtime = deep_probe(builder("crun_as_runc", **BUILDER_PRIVILEGES))
    assert runtime.identity.name == "crun"
    found = runtime.behaviour
    assert (found.result, found.step) == (DIFFERS, "run-keep")
    assert found.steps[0].evidence == "exit 64: run: unrecognized option '--keep'"


def drops_keep_files():
    # Earlier on the builder's PATH than the image's /usr/bin/buildkit-runc, which it wraps.
    return [("/usr", "local/bin/buildkit-runc", DROPS_KEEP.read_bytes())]


def test_a_runtime_that_drops_keep_in_a_builder_is_caught(builder, leftovers):
    runtime = deep_probe(builder(files=drops_keep_files(), **BUILDER_PRIVILEGES))
    assert runtime.path == "/usr/local/bin/buildkit-runc"
    assert (runtime.identity.name, runtime.identity.version) == ("runc", "1.1.5+ds1")
    assert {p.status for p in runtime.probes.values()} == {"accepted"}
    found = runtime.behaviour
    assert (found.result, found.step) == (DIFFERS, "state-kept")
    assert found.steps[-1].evidence == "exit 1: container does not exist"


# --- through `docker runtimecheck --deep` -----------------------------------------------------


def deep_check(dockerconfig, name, *args):
    done = dockerconfig.run("runtimecheck", "--builder", name, "--deep", "-f", "json", *args)
    return done.returncode, json.loads(done.stdout or b"{}"), done.stderr.decode()


def test_check_deep_blocks_a_builder_whose_runtime_drops_keep(
    dockerconfig, make_container, test_images, engine, leftovers
):
    image = test_images["buildkit_v0_12"]
    name = dockerconfig.add_builder(make_container, image, start=False, **BUILDER_PRIVILEGES)
    container = engine.containers.get(f"buildx_buildkit_{name}0")
    for directory, file, data in drops_keep_files():
        put_file(container, directory, file, data, 0o755)
    container.start()

    code, doc, err = deep_check(dockerconfig, name)
    assert code == 1, err
    [node] = doc["builders"][0]["nodes"]
    assert node["verdict"] == "block"
    assert node["runtime"]["behaviour"]["step"] == "state-kept"
    failing = [(c["id"], c["verdict"]) for c in node["checks"] if c["verdict"] != "pass"]
    assert failing == [("behaviour", "block")]
    [check] = [c for c in node["checks"] if c["id"] == "behaviour"]
    assert any("docker buildx create" in fix for fix in check["fix"])

    # Without --deep the same builder passes: nothing else can see it.
    plain = dockerconfig.run("runtimecheck", "--builder", name)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    # In the ignore list, it is reported and not counted.
    code, doc, err = deep_check(dockerconfig, name, "--ignore", "behaviour")
    assert code == 0, err


def test_check_deep_on_an_unprivileged_builder_notes_why_and_keeps_the_verdict(
    dockerconfig, make_container, test_images, leftovers
):
    name = dockerconfig.add_builder(make_container, test_images["buildkit_v0_12"])
    code, doc, err = deep_check(dockerconfig, name)
    assert code == 0, err
    [node] = doc["builders"][0]["nodes"]
    assert node["verdict"] == "pass"
    assert node["runtime"]["behaviour"]["result"] == "not-run"
    assert "behaviour" not in [c["id"] for c in node["checks"]]
    assert any(
        n.startswith("Behaviour probe (--deep) not run: no CAP_SYS_ADMIN") for n in node["notes"]
    )
