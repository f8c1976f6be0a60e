"""The preflight's witnesses: what a cached verdict depends on, and that they notice change."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from runtimecheck.builders import docker_container
from runtimecheck.builders.fingerprint import witnesses
from runtimecheck.builders.store import key_hash
from runtimecheck.dockercli import DEFAULT_HOST, GlobalOptions, resolve
from runtimecheck.preflight.witnesses import still_true
from support.paths import PLUGIN
from support.processes import isolated_python


def setup(tmp_path: Path, host: str | None = None):
    host = host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    (tmp_path / "docker").mkdir(exist_ok=True)
    env = {"BUILDX_CONFIG": str(tmp_path / "buildx"), "DOCKER_HOST": host}
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env=env)
    return cfg, env


def write(tmp_path: Path, name: str, driver: str, nodes: list[dict]) -> Path:
    path = tmp_path / "buildx" / "instances" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Name": name, "Driver": driver, "Nodes": nodes, "Dynamic": False}))
    return path


def test_the_warm_check_imports_nothing_heavy() -> None:
    code = (
        f"import sys\nsys.path.insert(0, {str(PLUGIN)!r})\n"
        "from runtimecheck.preflight import witnesses as warm\n"
        "heavy = ('docker', 'requests', 'typer', 'rich', 'urllib3', 'json', 'socket', 'pathlib', 'typing')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = isolated_python(code, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_kubernetes_and_remote_are_not_fingerprinted(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path)
    write(tmp_path, "kube", "kubernetes", [{"Name": "kube0", "Endpoint": "kubernetes:///kube"}])
    write(tmp_path, "rem", "remote", [{"Name": "rem0", "Endpoint": "tcp://10.0.0.1:1234"}])
    assert witnesses(cfg, "kube", env) is None
    assert witnesses(cfg, "rem", env) is None
    assert witnesses(cfg, "does-not-exist", env) is None


def test_remote_daemon_is_not_fingerprinted(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path, host="tcp://127.0.0.1:1")
    assert witnesses(cfg, None, env) is None


@pytest.mark.engine
def test_docker_container_builder_moves_with_the_container(
    tmp_path: Path, make_container, test_images
) -> None:
    cfg, env = setup(tmp_path)
    name = f"fp{uuid.uuid4().hex[:8]}"
    node = {"Name": name + "0", "Endpoint": env["DOCKER_HOST"], "Flags": [], "Files": None}
    path = write(tmp_path, name, "docker-container", [node])

    absent = witnesses(cfg, name, env)
    assert absent is not None and still_true(absent)
    container = make_container(
        test_images["buildkit_v0_12"], name=docker_container.container_name(name + "0")
    )
    assert not still_true(absent)  # the container appeared

    running = witnesses(cfg, name, env)
    assert running is not None
    assert still_true(running)  # stable while nothing changes
    assert next(w for w in running if w[0] == "container")[3][0] == container.id

    container.restart(timeout=1)
    assert not still_true(running)
    restarted = witnesses(cfg, name, env)
    assert restarted is not None and still_true(restarted)

    path.write_text(path.read_text().replace('"Flags": []', '"Flags": ["--debug"]'))
    assert not still_true(restarted)


@pytest.mark.engine
def test_docker_driver_of_this_machine(tmp_path: Path, engine) -> None:
    cfg, env = setup(tmp_path)
    seen = witnesses(cfg, None, env)
    assert seen is not None and still_true(seen)
    kinds = [w[0] for w in seen]
    assert "process" in kinds  # dockerd's start
    assert [w for w in seen if w[0] == "file" and w[1].endswith("/runc")]  # the runtime binary
    assert witnesses(cfg, "default", env) == seen


def test_a_file_witness_notices_creation_change_and_removal(tmp_path: Path) -> None:
    from runtimecheck.preflight.witnesses import file_witness

    target = tmp_path / "current"
    absent = [file_witness(str(target))]
    target.write_text("{}")
    assert not still_true(absent)
    present = [file_witness(str(target))]
    assert still_true(present)
    target.write_text('{"Name": "other"}')
    assert not still_true(present)
    changed = [file_witness(str(target))]
    target.unlink()
    assert not still_true(changed)


def test_a_process_witness_notices_a_new_process(tmp_path: Path) -> None:
    from runtimecheck.preflight.witnesses import process_start, process_witness

    me = process_witness(os.getpid(), process_start(os.getpid()))
    assert still_true([me])
    assert not still_true([process_witness(os.getpid(), (me[2] or 0) + 1)])
    assert not still_true([process_witness(os.getpid(), None)])


@pytest.mark.parametrize("bad", [[["file"]], [["mystery", 1, 2]], ["file"]])
def test_malformed_witnesses_never_count_as_true(bad) -> None:
    assert not still_true(bad)


# --- every file the selection read, then what the driver names --------------------------------


def file_of(path: Path) -> list:
    from runtimecheck.preflight.witnesses import file_witness

    return file_witness(str(path))


def context_at(config: Path, name: str, host: str) -> Path:
    from runtimecheck.dockercli import context_dir_name

    meta = config / "contexts" / "meta" / context_dir_name(name) / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": name, "Endpoints": {"docker": {"Host": host}}}))
    return meta


def test_the_witnesses_of_a_stored_builder_are_every_file_read_and_its_container(
    tmp_path: Path,
) -> None:
    from support.engine_api import engine_api

    config, store = tmp_path / "docker", tmp_path / "buildx"
    config.mkdir()
    with engine_api(tmp_path / "d.sock") as api:
        here = context_at(config, "here", f"unix://{api.socket_path}")
        old_toml = tmp_path / "buildkitd.toml"
        instance = write(tmp_path, "b", "docker-container",
                         [{"Name": "b0", "Endpoint": "here", "ConfigFile": str(old_toml)}])  # fmt: skip
        env = {"BUILDX_CONFIG": str(store), "BUILDX_BUILDER": "b"}
        cfg = resolve(GlobalOptions(config=str(config), context="here"), env=env)
        seen = witnesses(cfg, None, env)
        assert seen == [
            file_of(config / "config.json"),
            file_of(here),
            file_of(store / "current"),
            file_of(store / "defaults" / key_hash("here")),
            file_of(instance),
            file_of(old_toml),
            file_of(here),  # the node's endpoint is that context
            ["container", api.socket_path, "buildx_buildkit_b0", ["absent"]],
        ]
        assert still_true(seen)
        old_toml.write_text("[worker.oci]\n")
        assert not still_true(seen)


def test_what_cannot_be_witnessed_cheaply_is_checked_in_full_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtimecheck import log
    from support.engine_api import engine_api

    monkeypatch.setattr(log, "_threshold", log._LEVELS["debug"])
    with engine_api(tmp_path / "d.sock") as api:
        cfg, env = setup(tmp_path, host=f"unix://{api.socket_path}")
        write(tmp_path, "odd", "no-such-driver", [{"Name": "odd0"}])
        broken = tmp_path / "buildx" / "instances" / "broken"
        broken.write_text("[]")
        assert witnesses(cfg, "odd", env) is None  # a driver this version does not know
        assert witnesses(cfg, "broken", env) is None
        assert witnesses(cfg, "nowhere", env) is None
        # The context's own builder: dockerd's process is not found behind a stand-in.
        assert witnesses(cfg, "default", env) is None
        assert ("GET", "/version") in api.asked
    said = [line.split("no witnesses: ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert said[:3] == [
        "unknown driver 'no-such-driver'",
        f"builder 'broken': {broken} is not a JSON object",
        "no builder nowhere",
    ]
    assert len(said) == 4


def test_a_context_s_own_builder_is_witnessed_by_its_files_and_its_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtimecheck.builders import dockerd

    config = tmp_path / "docker"
    config.mkdir()
    here = context_at(config, "here", "unix:///run/here.sock")
    asked = []

    def daemon_witnesses(host: str) -> list:
        asked.append(host)
        return [["process", 1, 2]]

    monkeypatch.setattr(dockerd, "daemon_witnesses", daemon_witnesses)
    cfg = resolve(GlobalOptions(config=str(config), context="here"), env={})
    seen = witnesses(cfg, None, {})
    store = config / "buildx"
    assert seen is not None and seen[-2:] == [file_of(here), ["process", 1, 2]]
    assert [w[1] for w in seen[:4]] == [
        str(config / "config.json"), str(here), str(store / "current"),
        str(store / "defaults" / key_hash("here")),
    ]  # fmt: skip
    assert asked == ["unix:///run/here.sock"]
    # Another context's own builder: that context's daemon, not the current one's.
    context_at(config, "other", "unix:///run/other.sock")
    assert witnesses(cfg, "other", {}) is not None
    assert asked[-1] == "unix:///run/other.sock"


def test_a_node_on_the_current_endpoint_or_an_address_names_no_context(tmp_path: Path) -> None:
    from support.engine_api import engine_api

    config = tmp_path / "docker"
    config.mkdir()
    with engine_api(tmp_path / "d.sock") as api:
        address = f"unix://{api.socket_path}"
        instance = config / "buildx" / "instances" / "b"
        instance.parent.mkdir(parents=True)
        instance.write_text(json.dumps({"Name": "b", "Driver": "docker-container", "Nodes": [
            {"Name": "b0"}, {"Name": "b1", "Endpoint": address}]}))  # fmt: skip
        cfg = resolve(GlobalOptions(config=str(config)), env={"DOCKER_HOST": address})
        seen = witnesses(cfg, "b", {})
        store = config / "buildx"
        assert seen == [
            file_of(config / "config.json"),
            file_of(store / "current"),
            file_of(store / "defaults" / key_hash(address)),
            file_of(instance),
            ["container", api.socket_path, "buildx_buildkit_b0", ["absent"]],
            ["container", api.socket_path, "buildx_buildkit_b1", ["absent"]],
        ]
