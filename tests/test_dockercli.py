"""Docker's global flags and endpoint resolution, as the docker CLI resolves them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from runtimecheck.dockercli import (
    DEFAULT_HOST,
    GlobalOptions,
    list_contexts,
    parse_global_flags,
    resolve,
)
from runtimecheck.errors import EXIT_USAGE, UsageError


def write_context(config: Path, name: str, host: str, tls: bool = False) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    body = {
        "Name": name,
        "Metadata": {},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
    }
    (meta / "meta.json").write_text(json.dumps(body))
    if tls:
        tls_dir = config / "contexts" / "tls" / digest / "docker"
        tls_dir.mkdir(parents=True)
        for f in ("ca.pem", "cert.pem", "key.pem"):
            (tls_dir / f).write_text("x")


@pytest.mark.parametrize(
    ("argv", "rest", "expect"),
    [
        (["runtimecheck", "--all"], ["--all"], {"as_plugin": True}),
        (["--config", "/c", "runtimecheck", "x"], ["x"], {"config": "/c", "as_plugin": True}),
        (
            ["--config=/c", "-H", "unix:///s", "runtimecheck"],
            [],
            {"config": "/c", "hosts": ["unix:///s"]},
        ),
        (
            ["-Htcp://h:2375", "-H=tcp://g:1", "runtimecheck"],
            [],
            {"hosts": ["tcp://h:2375", "tcp://g:1"]},
        ),
        (["-c", "prod", "-D", "runtimecheck"], [], {"context": "prod", "debug": True}),
        (["--context=prod", "--log-level", "debug", "runtimecheck"], [], {"log_level": "debug"}),
        (
            ["--tls", "--tlsverify=false", "--tlscacert", "/ca", "runtimecheck"],
            [],
            {"tls": True, "tlsverify": False, "tlscacert": "/ca"},
        ),
        # Standalone: leading global flags are taken, the rest is the command's own.
        (
            ["--config", "/c", "--builder", "b"],
            ["--builder", "b"],
            {"config": "/c", "as_plugin": False},
        ),
        (["probe", "--config", "/c"], ["probe", "--config", "/c"], {"config": None}),
    ],
)
def test_global_flags_are_peeled_off(argv, rest, expect):
    opts, remaining = parse_global_flags(argv)
    assert remaining == rest
    for key, value in expect.items():
        assert getattr(opts, key) == value, key


def test_raw_global_flags_are_kept_for_handing_over():
    opts, _ = parse_global_flags(["--config", "/c", "-l", "info", "runtimecheck", "build", "."])
    assert opts.raw == ["--config", "/c", "-l", "info"]


@pytest.mark.parametrize(
    "argv",
    [["--config"], ["--log-level", "loud", "runtimecheck"], ["--tls=maybe", "runtimecheck"]],
)
def test_bad_global_flags_are_usage_errors(argv):
    with pytest.raises(UsageError) as e:
        parse_global_flags(argv)
    assert e.value.exit_code == EXIT_USAGE


def test_unknown_global_flag_before_plugin_name_is_a_usage_error_when_called_by_the_cli():
    with pytest.raises(UsageError, match="--bogus"):
        parse_global_flags(["--bogus", "runtimecheck"], plugin_env=True)


def test_default_endpoint_is_the_local_socket(tmp_path):
    cfg = resolve(GlobalOptions(config=str(tmp_path)), env={})
    assert cfg.endpoint.host == DEFAULT_HOST
    assert cfg.endpoint.context == "default"
    assert cfg.endpoint.buildx_key == DEFAULT_HOST
    assert cfg.directory == tmp_path


def test_order_flag_then_docker_host_then_docker_context_then_config(tmp_path):
    write_context(tmp_path, "fromenv", "tcp://env-context:2376")
    write_context(tmp_path, "fromfile", "ssh://user@file-context")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "fromfile"}))
    opts = GlobalOptions(config=str(tmp_path))

    assert resolve(opts, env={}).endpoint.host == "ssh://user@file-context"
    assert (
        resolve(opts, env={"DOCKER_CONTEXT": "fromenv"}).endpoint.host == "tcp://env-context:2376"
    )
    env_host = resolve(
        opts, env={"DOCKER_CONTEXT": "fromenv", "DOCKER_HOST": "tcp://dh:1"}
    ).endpoint
    assert (env_host.context, env_host.host) == ("default", "tcp://dh:1")
    flagged = GlobalOptions(config=str(tmp_path), hosts=["unix:///flag.sock"])
    assert resolve(flagged, env={"DOCKER_HOST": "tcp://dh:1"}).endpoint.host == "unix:///flag.sock"
    ctx = GlobalOptions(config=str(tmp_path), context="fromenv")
    endpoint = resolve(ctx, env={"DOCKER_HOST": "tcp://dh:1"}).endpoint
    assert (endpoint.context, endpoint.buildx_key) == ("fromenv", "fromenv")


def test_docker_config_env_locates_the_config(tmp_path):
    write_context(tmp_path, "viaenv", "tcp://x:1")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "viaenv"}))
    assert (
        resolve(GlobalOptions(), env={"DOCKER_CONFIG": str(tmp_path)}).endpoint.host == "tcp://x:1"
    )


def test_context_tls_material_is_found(tmp_path):
    write_context(tmp_path, "secure", "tcp://h:2376", tls=True)
    endpoint = resolve(GlobalOptions(config=str(tmp_path), context="secure"), env={}).endpoint
    assert endpoint.tls and endpoint.tls_verify
    assert endpoint.ca_cert and endpoint.ca_cert.endswith("ca.pem")


def test_tls_from_environment(tmp_path):
    env = {"DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"}
    endpoint = resolve(GlobalOptions(config=str(tmp_path)), env=env).endpoint
    assert endpoint.tls_verify and endpoint.cert == "/certs/cert.pem"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "does not exist"),  # --config pointing nowhere (see below)
        (lambda d: (d / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "config.json").write_text("[1, 2]"), "not a JSON object"),
        (
            lambda d: (d / "config.json").write_text('{"currentContext": "ghost"}'),
            "context 'ghost' does not exist",
        ),
    ],
)
def test_bad_configuration_is_a_usage_error_and_writes_nothing(tmp_path, setup, message):
    config = tmp_path / "cfg"
    if message != "does not exist":
        config.mkdir()
        setup(config)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(UsageError, match=message):
        resolve(GlobalOptions(config=str(config)), env={})
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_host_and_context_together_conflict(tmp_path):
    with pytest.raises(UsageError, match="conflicting"):
        resolve(GlobalOptions(config=str(tmp_path), context="x", hosts=["tcp://h:1"]), env={})


def test_list_contexts(tmp_path):
    write_context(tmp_path, "a", "tcp://a:1")
    write_context(tmp_path, "b", "unix:///b.sock")
    assert sorted(list_contexts(tmp_path)) == [("a", "tcp://a:1"), ("b", "unix:///b.sock")]
    assert list_contexts(tmp_path / "missing") == []


# docker/cli v29.6.2 opts/hosts.go (ParseHost, parseDockerDaemonHost, ParseTCPAddr) and
# cli/command/cli.go getServerHost: what the default context's Host is, and so the key buildx
# keeps `current` under (docker/buildx v0.36.1 util/dockerutil/context.go GetCurrentEndpoint).
@pytest.mark.parametrize(
    ("given", "tls", "host"),
    [
        ("", False, "unix:///var/run/docker.sock"),
        ("", True, "tcp://localhost:2376"),  # defaultTLSHost, only for an empty value
        ("tcp://buildhost", False, "tcp://buildhost:2375"),
        ("tcp://buildhost", True, "tcp://buildhost:2375"),  # ParseTCPAddr gets defaultTCPHost
        ("buildhost", False, "tcp://buildhost:2375"),
        ("buildhost:2376", False, "tcp://buildhost:2376"),
        ("tcp://buildhost:", False, "tcp://buildhost:2375"),
        ("tcp://:2376", False, "tcp://localhost:2376"),
        ("tcp://", False, "tcp://localhost:2375"),
        ("tcp://[::1]:", False, "tcp://[::1]:2375"),
        ("tcp://[::1]:2376", False, "tcp://[::1]:2376"),
        ("tcp://h:2375/prefix", False, "tcp://h:2375/prefix"),
        ("  tcp://h  ", False, "tcp://h:2375"),
        ("unix://", False, "unix:///var/run/docker.sock"),
        ("unix:///run/user/1000/docker.sock", False, "unix:///run/user/1000/docker.sock"),
        ("ssh://me@buildhost", False, "ssh://me@buildhost"),
        ("fd://", False, "fd://"),
        ("/var/run/docker.sock", False, "tcp://localhost:2375/var/run/docker.sock"),
    ],
)
def test_the_default_endpoint_host_is_normalised_as_docker_cli_does(given, tls, host):
    from runtimecheck.dockercli import parse_host

    assert parse_host(given, default_to_tls=tls) == host


@pytest.mark.parametrize("given", ["tcp://h:port", "http://h", "tcp://a://b", "unix://x://y"])
def test_a_host_docker_rejects_is_a_usage_error(tmp_path, given):
    with pytest.raises(UsageError):
        resolve(GlobalOptions(config=str(tmp_path)), env={"DOCKER_HOST": given})


def test_docker_host_key_carries_the_default_port(tmp_path):
    endpoint = resolve(GlobalOptions(config=str(tmp_path)), env={"DOCKER_HOST": "tcp://b"}).endpoint
    assert (endpoint.host, endpoint.buildx_key) == ("tcp://b:2375", "tcp://b:2375")
    tls = resolve(GlobalOptions(config=str(tmp_path), tlsverify=True), env={}).endpoint
    assert tls.host == "tcp://localhost:2376"  # TLS on, no host: docker's defaultTLSHost
    with pytest.raises(UsageError, match="only one -H"):
        resolve(GlobalOptions(config=str(tmp_path), hosts=["tcp://a", "tcp://b"]), env={})
