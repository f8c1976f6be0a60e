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


# --- what a broken store file is said to be: the file, its name, the reason -------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        ("[1, 2]", "is not a JSON object"),
        ('{"Nodes": "nope"}', "has no valid Nodes list"),
        ('{"Nodes": [1]}', "has no valid Nodes list"),
        ('{"Nodes": [], "Driver": 5}', "has a Driver that is not text"),
    ],
)  # fmt: skip
def test_a_broken_instance_is_named_with_its_file(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = write_instance(tmp_path, "x", content)
    with pytest.raises(store.StoreFileError) as info:
        store.read_instance(tmp_path, "x")
    assert (info.value.name, info.value.path) == ("x", path)
    assert info.value.message == f"builder 'x': {path} {reason}"


def test_an_unreadable_instance_says_why(tmp_path: Path) -> None:
    path = tmp_path / "instances" / "x"
    path.mkdir(parents=True)
    with pytest.raises(store.StoreFileError) as info:
        store.read_instance(tmp_path, "x")
    assert (info.value.name, info.value.path) == ("x", path)
    assert info.value.message == f"cannot read {path}: Is a directory"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{", "is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        (b"\xff", "is not valid JSON ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte)"),
        (b"[1]", "is not a JSON object"),
        (b'{"Key": 5}', "has a field of the wrong type"),
        (b'{"Name": 5}', "has a field of the wrong type"),
        (b'{"Name": ["b"]}', "has a field of the wrong type"),
        (b'{"Global": "yes"}', "has a field of the wrong type"),
    ],
)  # fmt: skip
def test_a_broken_current_file_is_named(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "current"
    path.write_bytes(content)
    with pytest.raises(store.StoreFileError) as info:
        store.read_current(tmp_path)
    assert (info.value.name, info.value.path, info.value.message) == (
        "current",
        path,
        f"{path} {reason}",
    )


def test_unreadable_current_and_defaults_files_say_why(tmp_path: Path) -> None:
    (tmp_path / "current").mkdir()
    with pytest.raises(store.StoreFileError) as info:
        store.read_current(tmp_path)
    assert (info.value.name, info.value.path, info.value.message) == (
        "current",
        tmp_path / "current",
        f"cannot read {tmp_path / 'current'}: Is a directory",
    )
    assert str(info.value) == info.value.message
    default = tmp_path / "defaults" / store.key_hash("k")
    default.mkdir(parents=True)
    with pytest.raises(store.StoreFileError) as info:
        store.read_default(tmp_path, "k")
    assert (info.value.name, info.value.path, info.value.message) == (
        "defaults",
        default,
        f"cannot read {default}: Is a directory",
    )


@pytest.mark.parametrize(
    ("content", "current"),
    [
        ('{"key": "k", "NAME": "b", "Global": true}', store.Current("k", "b", True)),  # as encoding/json matches
        ("null", store.Current("", "", False)),
        ('{"Name": "b"}', store.Current("", "b", False)),
        ('{"Key": "k", "Name": null}', store.Current("k", "", False)),
    ],
)  # fmt: skip
def test_current_fields_are_read_as_buildx_reads_them(
    tmp_path: Path, content: str, current: store.Current
) -> None:
    (tmp_path / "current").write_text(content)
    assert store.read_current(tmp_path) == current


def test_a_defaults_entry_that_is_not_utf8_is_read_as_buildx_reads_it(tmp_path: Path) -> None:
    default = tmp_path / "defaults" / store.key_hash("k")
    default.parent.mkdir(parents=True)
    default.write_bytes(b"b\xff")
    assert store.read_default(tmp_path, "k") == "b\ufffd"


def test_an_instance_s_own_name_and_node_names(tmp_path: Path) -> None:
    path = write_instance(
        tmp_path,
        "box",
        {
            "Name": "Box",
            "Driver": "remote",
            "Nodes": [{"Name": "n1"}, {}, {"Name": ""}, {"Name": 5}],
        },
    )
    builder = store.read_instance(tmp_path, "box")
    assert builder is not None
    assert (builder.name, builder.path) == ("Box", path)
    assert [n.name for n in builder.nodes] == ["n1", "Box1", "Box2", "Box3"]
    assert builder.nodes[0].notes == []
    assert builder.nodes[1].notes == ["stored node #1 has no name; buildx would call it Box1"]
    write_instance(tmp_path, "anon", {"Driver": "remote", "Nodes": [{}]})
    anonymous = store.read_instance(tmp_path, "anon")
    assert anonymous is not None and anonymous.name == "anon"
    assert [n.name for n in anonymous.nodes] == ["anon0"]


def test_node_fields_of_other_types_are_left_out(tmp_path: Path) -> None:
    write_instance(tmp_path, "x", {"Nodes": [{"Name": "n", "Endpoint": 5, "ConfigFile": 5}]})
    builder = store.read_instance(tmp_path, "x")
    assert builder is not None
    [node] = builder.nodes
    assert (node.endpoint, node.config_file, node.files) == (None, None, {})


def test_flags_under_their_go_field_name_and_empty_files(tmp_path: Path) -> None:
    write_instance(tmp_path, "x", {"Nodes": [{"Name": "n", "BuildkitdFlags": ["--debug"],
                                              "Files": {"buildkitd.toml": None}}]})  # fmt: skip
    builder = store.read_instance(tmp_path, "x")
    assert builder is not None
    assert (builder.nodes[0].flags, builder.nodes[0].files) == (
        ["--debug"],
        {"buildkitd.toml": b""},
    )


def test_stored_files_win_over_an_old_config_file_path(tmp_path: Path) -> None:
    old = tmp_path / "old.toml"
    old.write_text("from the host path\n")
    stored = base64.b64encode(b"from the store\n").decode()
    write_instance(tmp_path, "x", {"Nodes": [{"Name": "n", "ConfigFile": str(old),
                                              "Files": {"buildkitd.toml": stored}}]})  # fmt: skip
    builder = store.read_instance(tmp_path, "x")
    assert builder is not None
    assert builder.nodes[0].buildkitd_toml == "from the store\n"


def test_an_unreadable_old_config_file_says_why(tmp_path: Path) -> None:
    write_instance(tmp_path, "x", {"Nodes": [{"Name": "n", "ConfigFile": str(tmp_path)}]})
    builder = store.read_instance(tmp_path, "x")
    assert builder is not None
    assert builder.nodes[0].notes == [f"config file {tmp_path} named by the store: Is a directory"]


def test_hidden_files_are_not_builders(tmp_path: Path) -> None:
    write_instance(tmp_path, "b", {})
    write_instance(tmp_path, ".b.tmp", {})
    write_instance(tmp_path, "a", {})
    assert store.instance_names(tmp_path) == ["a", "b"]


def test_without_an_environment_given_the_process_s_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtimecheck.dockercli import GlobalOptions, resolve

    cfg = resolve(GlobalOptions(config=str(tmp_path)), env={})
    monkeypatch.setenv("BUILDX_CONFIG", str(tmp_path / "elsewhere"))
    assert store.store_root(cfg) == tmp_path / "elsewhere"
