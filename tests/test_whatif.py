"""The what-if question: `--buildkit VERSION` / `--engine VERSION`, pure, and on real
builder-shaped containers through the docker CLI and this plugin."""

from __future__ import annotations

import json

import pytest

from runtimecheck import report, verdict, whatif
from runtimecheck.errors import UsageError
from runtimecheck.facts import (
    BuilderResult,
    BuildKitFacts,
    FixContext,
    NodeFacts,
    Result,
    RuntimeFacts,
    RuntimeIdentity,
)


def node(driver: str, buildkit: str, source: str, engine: str | None = None) -> NodeFacts:
    return NodeFacts(
        builder="b",
        node="b0",
        driver=driver,
        endpoint=None,
        buildkit=BuildKitFacts(buildkit, source=source),
        runtime=RuntimeFacts("/usr/bin/crun", RuntimeIdentity("crun", "1.8.1"), verified=False),
        fix_context=FixContext(driver, builder="b", engine_version=engine),
        status="running",
    )


def test_a_buildkit_version_is_resolved_as_given():
    assert whatif.resolve(None, "v0.12.0", None) == whatif.WhatIf("v0.12.0")  # type: ignore[arg-type]
    assert whatif.resolve(None, "0.12.0", None) == whatif.WhatIf("v0.12.0")  # type: ignore[arg-type]
    assert whatif.resolve(None, None, None) is None  # type: ignore[arg-type]


def test_an_engine_is_resolved_to_what_it_bundles(kb):
    found = whatif.resolve(kb, None, "25.0.1")
    assert found is not None
    assert (found.engine, found.buildkit) == ("25.0.1", "v0.12.5-0.20231208203051-3b6880d2a00f")
    assert "moby/moby vendor/modules.txt at v25.0.0 … v25.0.1" in found.source
    assert whatif.resolve(kb, None, "docker-v29.7.2") == whatif.WhatIf(
        "v0.32.2", "29.7.2", kb.engine_buildkit("29.7.2")[1]
    )


@pytest.mark.parametrize(
    ("buildkit", "engine", "said"),
    [
        ("v0.12.0", "25.0.3", "cannot be used together"),
        ("soon", None, "--buildkit 'soon' is not a BuildKit version"),
        (None, "31.0.0", "(it knows 20.10.0 … 29.7.2)"),
    ],
)
def test_bad_what_ifs_are_usage_errors(kb, buildkit, engine, said):
    with pytest.raises(UsageError) as raised:
        whatif.resolve(kb, buildkit, engine)
    assert said in raised.value.message


def test_the_hypothetical_buildkit_replaces_the_one_the_node_runs(kb):
    facts = node("docker-container", "v0.11.6", "buildkitd --version")
    assert verdict.decide(kb, facts).verdict == "pass"

    judged = whatif.apply(whatif.WhatIf("v0.12.0"), facts)

    assert facts.buildkit.version == "v0.11.6"  # the facts learnt stay as they were
    assert judged.buildkit.version == "v0.12.0" and judged.buildkit.hypothetical
    assert judged.buildkit.actual == "v0.11.6 (buildkitd --version)"
    assert judged.runtime is facts.runtime
    assert verdict.decide(kb, judged).verdict == "block"


def test_an_engine_changes_the_docker_driver_and_no_builder_with_its_own_buildkit(kb):
    what = whatif.resolve(kb, None, "25.0.3")
    assert what is not None
    docker = whatif.apply(what, node("docker", "v0.11.6", "Engine 24.0.1: …", engine="24.0.1"))
    assert (docker.buildkit.version, docker.fix_context.engine_version) == ("v0.12.5", "25.0.3")
    assert docker.buildkit.source == "hypothetical: Docker Engine 25.0.3"
    assert verdict.decide(kb, docker).verdict == "block"

    own = whatif.apply(what, node("docker-container", "v0.11.6", "buildkitd --version"))
    assert own.buildkit.version == "v0.11.6" and not own.buildkit.hypothetical
    assert own.notes[-1].startswith("--engine 25.0.3: this builder runs its own BuildKit")


def test_a_pre_release_engine_says_what_it_bundles(kb):
    what = whatif.resolve(kb, None, "25.0.0")
    facts = whatif.apply(what, node("docker", "v0.11.6", "Engine 24.0.1: …", engine="24.0.1"))
    assert facts.buildkit.source == (
        "hypothetical: Docker Engine 25.0.0, a commit before v0.12.5 (3b6880d2a00f), not a release"
    )
    assert verdict.decide(kb, facts).verdict == "block"  # that commit already sends --keep


def labelled(kb) -> Result:
    what = whatif.WhatIf("v0.12.0")
    facts = whatif.apply(what, node("docker-container", "v0.11.6", "buildkitd --version"))
    result = Result([BuilderResult("b", "docker-container", nodes=[verdict.decide(kb, facts)])])
    result.what_if = what.label()
    return result


def test_every_format_says_it_is_hypothetical(kb):
    result = labelled(kb)
    label = "hypothetical: judged against BuildKit v0.12.0 (--buildkit), not the BuildKit each builder runs"

    text = report.render(result, "text", color=False)
    assert text.splitlines()[0] == label
    assert "v0.12.0 (hypothetical: --buildkit, the node runs v0.11.6 (buildkitd --version)" in text
    assert text.splitlines()[-1].startswith("verdict (hypothetical): ✗ block")

    doc = json.loads(report.render(result, "json"))
    assert doc["whatIf"] == label
    buildkit = doc["builders"][0]["nodes"][0]["buildkit"]
    assert (buildkit["version"], buildkit["hypothetical"]) == ("v0.12.0", True)
    assert buildkit["actual"] == "v0.11.6 (buildkitd --version)"

    sarif = json.loads(report.render(result, "sarif"))
    [run] = sarif["runs"]
    assert run["properties"]["whatIf"] == label
    assert run["results"] and all(
        r["message"]["text"].startswith("Hypothetical: judged against BuildKit v0.12.0")
        for r in run["results"]
    )

    github = report.render(result, "github").splitlines()
    assert github[0].startswith("::notice title=docker-runtimecheck (hypothetical)::hypothetical")
    titles = [line.split("::", 2)[1] for line in github[:-1]]
    assert titles and all("title=docker-runtimecheck (hypothetical)" in t for t in titles)
    assert github[-1].startswith("docker-runtimecheck: verdict (hypothetical): ")


def test_without_a_what_if_nothing_is_labelled(kb):
    result = labelled(kb)
    result.what_if = None
    assert "hypothetical" not in report.render(result, "text", color=False).splitlines()[0]
    assert json.loads(report.render(result, "json"))["whatIf"] is None
    assert "properties" not in json.loads(report.render(result, "sarif"))["runs"][0]


# --- on real builder-shaped containers, through the docker CLI and this plugin ---------------


@pytest.fixture
def old_crun_builder(dockerconfig, make_container, test_images) -> str:
    """BuildKit v0.11.6 running crun 1.8.1 (the real one) as its OCI worker binary."""
    return dockerconfig.add_builder(
        make_container, test_images["buildkit_v0_11"], flags=["--oci-worker-binary=crun"]
    )


def run_json(dockerconfig, *args: str) -> tuple[int, dict]:
    done = dockerconfig.run("runtimecheck", *args, "--format", "json")
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_today_it_passes_and_says_what_breaks_it(dockerconfig, old_crun_builder):
    code, doc = run_json(dockerconfig, "--builder", old_crun_builder)
    assert (code, doc["verdict"], doc["whatIf"]) == (0, "pass", None)
    [node] = doc["builders"][0]["nodes"]
    assert node["buildkit"]["version"] == "v0.11.6" and not node["buildkit"]["hypothetical"]
    assert [f["text"] for f in node["foresight"]] == [
        "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    ]


def test_what_if_buildkit_0_12(dockerconfig, old_crun_builder):
    code, doc = run_json(dockerconfig, "--builder", old_crun_builder, "--buildkit", "v0.12.0")
    assert (code, doc["verdict"]) == (1, "block")
    assert doc["whatIf"].startswith("hypothetical: judged against BuildKit v0.12.0")
    [node] = doc["builders"][0]["nodes"]
    assert node["runtime"]["verified"] and node["runtime"]["name"] == "crun"  # probed for real
    assert node["buildkit"]["actual"] == "v0.11.6 (buildkitd --version)"
    keep = next(c for c in node["checks"] if c["id"] == "run-keep")
    assert keep["status"] == "rejected" and keep["evidence"].startswith("probe: rejected")

    text = dockerconfig.run("runtimecheck", "--builder", old_crun_builder, "--buildkit", "v0.12.0")
    out = text.stdout.decode()
    assert out.startswith("hypothetical: judged against BuildKit v0.12.0")
    assert out.rstrip().splitlines()[-1].startswith("verdict (hypothetical): ")
    assert text.returncode == 1


def test_what_if_engine_25_for_every_builder(dockerconfig, old_crun_builder, engine, kb):
    code, doc = run_json(dockerconfig, "--all", "--engine", "25.0.3")
    assert (code, doc["verdict"]) == (0, "pass"), doc
    assert doc["whatIf"].startswith("hypothetical: judged against Docker Engine 25.0.3")
    by_driver = {b["driver"]: b for b in doc["builders"]}
    mine = next(b for b in doc["builders"] if b["name"] == old_crun_builder)
    [own] = mine["nodes"]
    # A docker-container builder keeps the BuildKit of its image: an Engine upgrade does not
    # change it.
    assert own["buildkit"]["version"] == "v0.11.6" and own["verdict"] == "pass"
    assert any(
        n.startswith("--engine 25.0.3: this builder runs its own BuildKit") for n in own["notes"]
    )
    # The docker driver's BuildKit is the Engine's: this machine's dockerd, judged as 25.0.3.
    [default] = by_driver["docker"]["nodes"]
    assert default["error"] is None, default
    assert default["buildkit"]["version"] == "v0.12.5" and default["buildkit"]["hypothetical"]
    real = kb.engine_buildkit(engine.version()["Version"])
    assert real is not None and default["buildkit"]["actual"].startswith(f"{real[0]} (Engine ")
    assert default["runtime"]["verified"]  # dockerd's own runc, probed for real


def test_a_bad_what_if_is_a_usage_error(dockerconfig, old_crun_builder):
    done = dockerconfig.run("runtimecheck", "--engine", "99.0.0")
    assert done.returncode == 2
    assert b"--engine '99.0.0'" in done.stderr and done.stdout == b""


def test_what_if_the_buildkit_were_older(dockerconfig, make_container, test_images):
    """The other way: BuildKit v0.12.5 blocks crun 1.8.1 today; pinned to v0.11.6 it would
    pass, until v0.12.0 again."""
    name = dockerconfig.add_builder(
        make_container, test_images["buildkit_v0_12"], flags=["--oci-worker-binary=crun"]
    )
    code, doc = run_json(dockerconfig, "--builder", name)
    assert (code, doc["verdict"]) == (1, "block")

    code, doc = run_json(dockerconfig, "--builder", name, "--buildkit", "v0.11.6")
    assert (code, doc["verdict"]) == (0, "pass")
    [node] = doc["builders"][0]["nodes"]
    assert node["buildkit"]["actual"] == "v0.12.5 (buildkitd --version)"
    assert [f["buildkit"] for f in node["foresight"]] == ["v0.12.0"]
