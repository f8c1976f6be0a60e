"""`docker buildx inspect` read as buildx prints it (recorded outputs, see
tests/fixtures/buildx-store/README.md), and asked of a docker CLI that has no buildx."""

from __future__ import annotations

from runtimecheck.builders import buildx_inspect
from runtimecheck.dockercli import GlobalOptions
from support.paths import FIXTURES

INSPECT = FIXTURES / "buildx-inspect"


def test_the_docs_example_of_an_older_buildx() -> None:
    found = buildx_inspect.parse((INSPECT / "docs-elated_tesla.txt").read_text())
    assert found is not None and (found.name, found.driver) == ("elated_tesla", "docker-container")
    [node] = found.nodes
    assert (node.name, node.status, node.buildkit) == ("elated_tesla0", "running", "v0.10.6")
    assert node.platforms == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]


def test_the_layout_of_buildx_0_36() -> None:
    text = (INSPECT / "two-nodes-v0.36.1.txt").read_text()
    found = buildx_inspect.parse(text.replace("@NODE0@", "b0").replace("@NODE1@", "b1"))
    assert found is not None
    assert [n.name for n in found.nodes] == ["b0", "b1"]  # File# contents are not nodes
    assert found.nodes[0].buildkit == "v0.12.5"
    assert found.nodes[1].platforms == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]


def test_a_node_in_error_and_other_text() -> None:
    text = "Name: r\nDriver: remote\n\nNodes:\nName: r0\nEndpoint: tcp://x:1\nError: dial tcp: refused\n"
    [node] = buildx_inspect.parse(text).nodes  # type: ignore[union-attr]
    assert (node.error, node.platforms, node.buildkit) == ("dial tcp: refused", None, None)
    assert buildx_inspect.parse("recorder: handed over\n") is None


def test_without_buildx_it_says_why(tmp_path, docker_cli) -> None:
    # This machine's docker CLI has no buildx plugin (Debian 12 packages none).
    opts = GlobalOptions(config=str(tmp_path), raw=["--config", str(tmp_path)])
    found, why = buildx_inspect.ask(opts, "x", timeout=60)
    assert found is None and "docker --config" in why and "buildx inspect x" in why
