"""Reading buildx's builder store files in every shape buildx has written."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from runtimecheck.builders import store
from support.paths import FIXTURES

STORE_FIXTURES = FIXTURES / "buildx-store"


def write_instance(root: Path, name: str, doc: object) -> Path:
    path = root / "instances" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_current_shape_flags_and_base64_files(tmp_path: Path) -> None:
    write_instance(tmp_path, "rc", (STORE_FIXTURES / "rc.json").read_text())
    builder = store.read_instance(tmp_path, "rc")
    assert builder is not None
    assert (builder.name, builder.driver, builder.dynamic) == ("rc", "docker-container", False)
    node = builder.nodes[0]
    assert node.name == "rc0"
    assert node.endpoint == "unix:///var/run/docker.sock"
    assert node.flags == ["--oci-worker-binary=crun", "--allow-insecure-entitlement=network.host"]
    assert node.driver_opts == {"image": "moby/buildkit:buildx-stable-1"}
    assert node.buildkitd_toml == '[worker.oci]\n  binary = "crun"\n'


def test_names_are_looked_up_lowercased(tmp_path: Path) -> None:
    write_instance(tmp_path, "mybuilder", {"Name": "mybuilder", "Driver": "docker-container"})
    assert store.read_instance(tmp_path, "MyBuilder") is not None
    assert store.read_instance(tmp_path, "1invalid") is None


def test_old_configfile_is_read_from_the_host_path(tmp_path: Path) -> None:
    config = tmp_path / "buildkitd.toml"
    config.write_text('[worker.oci]\nbinary = "crun"\n')
    text = (STORE_FIXTURES / "old-configfile.json").read_text().replace("@CONFIG@", str(config))
    write_instance(tmp_path, "legacy", text)
    builder = store.read_instance(tmp_path, "legacy")
    assert builder is not None
    node = builder.nodes[0]
    assert node.config_file == str(config)
    assert node.buildkitd_toml == config.read_text()
    assert node.flags is None


def test_missing_old_configfile_is_a_note(tmp_path: Path) -> None:
    text = (
        (STORE_FIXTURES / "old-configfile.json").read_text().replace("@CONFIG@", "/nonexistent/x")
    )
    write_instance(tmp_path, "legacy", text)
    builder = store.read_instance(tmp_path, "legacy")
    assert builder is not None
    assert builder.nodes[0].buildkitd_toml is None
    assert any("/nonexistent/x" in n for n in builder.nodes[0].notes)


def test_dynamic_and_object_platforms(tmp_path: Path) -> None:
    write_instance(tmp_path, "kube", (STORE_FIXTURES / "kube.json").read_text())
    doc = json.loads((STORE_FIXTURES / "kube.json").read_text())
    doc["Dynamic"] = True
    write_instance(tmp_path, "dyn", {**doc, "Name": "dyn"})
    kube = store.read_instance(tmp_path, "kube")
    dyn = store.read_instance(tmp_path, "dyn")
    assert kube is not None and dyn is not None
    assert kube.nodes[0].platforms == [{"architecture": "amd64", "os": "linux"}]
    assert dyn.dynamic and not kube.dynamic


def test_bad_base64_file_is_dropped_with_a_note(tmp_path: Path) -> None:
    good = base64.b64encode(b"x = 1\n").decode()
    write_instance(
        tmp_path,
        "b",
        {
            "Name": "b",
            "Driver": "docker-container",
            "Nodes": [{"Name": "b0", "Files": {"buildkitd.toml": "!!!", "certs/r/ca.pem": good}}],
        },
    )
    builder = store.read_instance(tmp_path, "b")
    assert builder is not None
    assert builder.nodes[0].files == {"certs/r/ca.pem": b"x = 1\n"}
    assert any("buildkitd.toml" in n for n in builder.nodes[0].notes)


def test_node_fields_of_the_wrong_type_are_notes_not_crashes(tmp_path: Path) -> None:
    node = {"Name": "w0", "DriverOpts": ["image=x"], "Files": "W3dvcmtlcl0K", "Flags": "--x"}
    write_instance(tmp_path, "w", {"Name": "w", "Driver": "docker-container", "Nodes": [node]})
    builder = store.read_instance(tmp_path, "w")
    assert builder is not None
    [read] = builder.nodes
    assert (read.driver_opts, read.files, read.flags) == ({}, {}, None)
    assert any("DriverOpts" in n for n in read.notes) and any("Files" in n for n in read.notes)


@pytest.mark.parametrize(
    "content, says",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"Name": "x", "Nodes": "nope", "Driver": "docker"}', "Nodes"),
        ('{"Name": "x", "Nodes": [], "Driver": 5}', "Driver that is not text"),
    ],
)
def test_malformed_instance_is_an_error_naming_the_file(
    tmp_path: Path, content: str, says: str
) -> None:
    path = write_instance(tmp_path, "x", content)
    with pytest.raises(store.StoreFileError) as info:
        store.read_instance(tmp_path, "x")
    assert says in info.value.message
    assert str(path) in info.value.message


def test_defaults_file_name_is_sha256_prefix_of_the_key() -> None:
    # buildx store.toHash: digest.FromBytes([]byte(key)).Hex()[:20]
    assert store.key_hash("unix:///var/run/docker.sock") == "13c4025c96f36e94b348"
    assert len(store.key_hash("ctx")) == 20


def test_store_root_follows_buildx_config_then_docker_config(tmp_path: Path) -> None:
    from runtimecheck.dockercli import GlobalOptions, resolve

    cfg = resolve(GlobalOptions(config=str(tmp_path)), env={})
    assert store.store_root(cfg, {}) == tmp_path / "buildx"
    assert store.store_root(cfg, {"BUILDX_CONFIG": "/x/y"}) == Path("/x/y")


# docker/buildx store/util.go ValidateName: `^[a-zA-Z][a-zA-Z0-9\.\-_]*$` in every release,
# v0.2.0 to v0.36.1 ("+" only in commit 0e72bf004, before the first release).
@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("MyBuilder", "mybuilder"),
        ("a.b-c_d", "a.b-c_d"),
        ("a+b", None),
        ("1abc", None),
        ("abc\n", None),  # Go's `$` is the end of the text; Python's would allow a newline
        ("", None),
    ],
)
def test_builder_names_as_buildx_validates_them(name: str, stored: str | None) -> None:
    assert store.normalise_name(name) == stored


@pytest.mark.parametrize(
    "content", [b"{", b"[1]", b'{"Name": 5}', b'{"Key": "k", "Global": "yes"}', b"\xff"]
)
def test_a_current_file_buildx_cannot_decode_is_an_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "current").write_bytes(content)
    with pytest.raises(store.StoreFileError):
        store.read_current(tmp_path)


def test_current_fields_are_matched_as_encoding_json_matches_them(tmp_path: Path) -> None:
    (tmp_path / "current").write_text('{"key": "k", "NAME": "b", "Global": true}')
    assert store.read_current(tmp_path) == store.Current(key="k", name="b", global_=True)
    (tmp_path / "current").write_text("null")
    assert store.read_current(tmp_path) == store.Current(key="", name="", global_=False)


def test_an_unreadable_current_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "current").mkdir()  # EISDIR: not "does not exist"
    with pytest.raises(store.StoreFileError, match="cannot read"):
        store.read_current(tmp_path)
