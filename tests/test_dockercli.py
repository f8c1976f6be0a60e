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


# docker/cli v29.6.2 opts/hosts_test.go, TestParseHost and TestParseDockerDaemonHost: the
# tables as they stand there (defaultHTTPHost is "localhost", defaultHTTPPort "2375").
@pytest.mark.parametrize(
    ("given", "host"),
    [
        (" ", "unix:///var/run/docker.sock"),
        ("fd://something", "fd://something"),
        ("tcp://host:", "tcp://host:2375"),
        ("tcp://:2375", "tcp://localhost:2375"),
        ("tcp://0.0.0.0:8080", "tcp://0.0.0.0:8080"),
        ("tcp://192.168:8080", "tcp://192.168:8080"),
        ("tcp://0.0.0.0:1234567890", "tcp://0.0.0.0:1234567890"),
        (" tcp://:7777/path ", "tcp://localhost:7777/path"),
        ("unix://path/to/socket", "unix://path/to/socket"),
        ("npipe://", "npipe:////./pipe/docker_engine"),
        ("npipe:////./pipe/foo", "npipe:////./pipe/foo"),
        ("0.0.0.1:", "tcp://0.0.0.1:2375"),
        ("0.0.0.1:5555/path", "tcp://0.0.0.1:5555/path"),
        ("[::1]:", "tcp://[::1]:2375"),
        ("[0:0:0:0:0:0:0:1]:5555/path", "tcp://[0:0:0:0:0:0:0:1]:5555/path"),
        (":6666/path", "tcp://localhost:6666/path"),
        ("localhost:", "tcp://localhost:2375"),
        # url.Parse: the query and fragment are dropped, the user too; what is left of the
        # authority is split as net.SplitHostPort splits it.
        ("tcp://h:1?x=1#f", "tcp://h:1"),
        ("tcp://h/a?b?c", "tcp://h:2375/a"),
        ("tcp://h/a#b#c", "tcp://h:2375/a"),
        ("tcp://h#frag", "tcp://h:2375"),
        ("tcp://h?q/r", "tcp://h:2375"),
        ("tcp://me@h:1", "tcp://h:1"),
        ("tcp://a@b@h:1", "tcp://h:1"),
        ("tcp://a:b:c", "tcp://[a:b:c]:2375"),
        ("tcp://BOX:1", "tcp://BOX:1"),
        ("tcp://a\x80b:1", "tcp://a\x80b:1"),  # beyond ASCII: url.Parse lets it through
    ],
)
def test_hosts_as_docker_cli_s_own_tests_parse_them(given: str, host: str) -> None:
    from runtimecheck.dockercli import parse_host

    assert parse_host(given) == host


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("something with spaces", "invalid bind address format: something with spaces"),
        ("://", "invalid bind address format: ://"),
        ("unknown://", "invalid bind address format: unknown://"),
        ("udp://127.0.0.1", "invalid bind address format: udp://127.0.0.1"),
        ("tcp://:port", "invalid bind address format: tcp://:port"),
        ("tcp://invalid:port", "invalid bind address format: tcp://invalid:port"),
        ("tcp://unix:///run/docker.sock", "invalid proto, expected tcp: tcp://unix:///run/docker.sock"),
        ("unix://a://b", "invalid proto, expected unix: a://b"),
        ("npipe://a://b", "invalid proto, expected npipe: a://b"),
        ("tcp://[::1", "invalid bind address format: tcp://[::1"),
        ("tcp://[::1]x", "invalid bind address format: tcp://[::1]x"),
        ("tcp://a]:1", "invalid bind address format: tcp://a]:1"),
        ("tcp://[a[b]:1", "invalid bind address format: tcp://[a[b]:1"),
        ("tcp://[::1]:[1", "invalid bind address format: tcp://[::1]:[1"),
        ("tcp://[::1]:1]", "invalid bind address format: tcp://[::1]:1]"),
        ("tcp://[]:1]", "invalid bind address format: tcp://[]:1]"),
        ("tcp://a[b:1", "invalid bind address format: tcp://a[b:1"),
        ("tcp://a|b:1", "invalid bind address format: tcp://a|b:1"),
        ("tcp://a^b:1", "invalid bind address format: tcp://a^b:1"),
    ],
)  # fmt: skip
def test_hosts_docker_cli_rejects_are_rejected_with_its_words(given: str, message: str) -> None:
    from runtimecheck.dockercli import parse_host

    with pytest.raises(UsageError) as info:
        parse_host(given)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config"], "flag needs an argument: --config"),
        (["-H"], "flag needs an argument: -H"),
        (["--log-level", "loud", "runtimecheck"],
         "invalid value 'loud' for --log-level: use one of debug, info, warn, error, fatal, panic"),
        (["-l=loud", "runtimecheck"],
         "invalid value 'loud' for -l: use one of debug, info, warn, error, fatal, panic"),
        (["--tls=maybe", "runtimecheck"], "invalid boolean 'maybe' for --tls"),
        (["-D=yes", "runtimecheck"], "invalid boolean 'yes' for -D"),
    ],
)  # fmt: skip
def test_bad_global_flags_say_which_and_why(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_global_flags(argv)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("argv", "rest", "raw"),
    [
        (["-", "runtimecheck"], ["-", "runtimecheck"], []),
        (["--", "runtimecheck"], ["--", "runtimecheck"], []),
        (["-D", "--", "x"], ["--", "x"], ["-D"]),
        (["-c"], None, None),  # needs a value
        (["-cprod", "x"], ["x"], ["-cprod"]),
        (["-c-", "x"], ["x"], ["-c-"]),
        (["--c", "x"], ["--c", "x"], []),  # not -c: an unknown long flag ends the globals
        (["-Dx", "x"], ["-Dx", "x"], []),  # -D takes no value: not glued
        (["--bogus", "x"], ["--bogus", "x"], []),
        (["--debug=false", "x"], ["x"], ["--debug=false"]),
        (["--tlsverify", "x"], ["x"], ["--tlsverify"]),
    ],
)
def test_where_the_global_flags_end(argv: list[str], rest: list[str] | None, raw) -> None:
    if rest is None:
        with pytest.raises(UsageError):
            parse_global_flags(argv)
        return
    opts, remaining = parse_global_flags(argv)
    assert (remaining, opts.raw, opts.as_plugin) == (rest, raw, False)


def test_glued_and_spelled_out_values_mean_the_same() -> None:
    glued, _ = parse_global_flags(["-cprod", "-lerror", "-D=false", "--tlsverify=0"])
    spaced, _ = parse_global_flags(["-c", "prod", "-l", "error", "--tlsverify", "--tlsverify=0"])
    for opts in (glued, spaced):
        assert (opts.context, opts.log_level, opts.debug, opts.tlsverify) == (
            "prod",
            "error",
            False,
            False,
        )
    assert GlobalOptions().endpoint_flags() == [
        "None",
        "None",
        "None",
        "None",
        "None",
        "False",
        "None",
    ]


def test_an_unknown_flag_is_only_an_error_before_the_plugin_name_under_the_cli() -> None:
    opts, rest = parse_global_flags(["--bogus", "x"], plugin_env=True)
    assert rest == ["--bogus", "x"]
    opts, rest = parse_global_flags(["-D", "x", "runtimecheck"], plugin_env=True)
    assert (opts.debug, rest, opts.as_plugin) == (True, ["x", "runtimecheck"], False)


def test_the_docker_cli_to_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtimecheck.dockercli import REEXEC_ENV, docker_command

    plugin = GlobalOptions(as_plugin=True)
    assert docker_command(plugin, {REEXEC_ENV: "/opt/docker"}) == "/opt/docker"
    assert docker_command(plugin, {}) == "docker"
    assert docker_command(GlobalOptions(), {REEXEC_ENV: "/opt/docker"}) == "docker"
    monkeypatch.setenv(REEXEC_ENV, "/usr/local/bin/docker")
    assert docker_command(plugin) == "/usr/local/bin/docker"


@pytest.mark.parametrize(
    ("opts", "env", "tls", "verify", "material"),
    [
        ({}, {}, False, False, (None, None, None)),
        ({}, {"DOCKER_CERT_PATH": "/certs"}, False, False, (None, None, None)),
        ({}, {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"}, True, True,
         ("/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem")),
        ({"tls": True}, {"DOCKER_CERT_PATH": "/certs"}, True, False,
         ("/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem")),
        ({"tlsverify": False}, {"DOCKER_TLS_VERIFY": "1"}, False, False, (None, None, None)),
        ({"tlscacert": "/my/ca"}, {}, True, False, ("/my/ca", None, None)),
        ({"tlscert": "/my/cert"}, {"DOCKER_CERT_PATH": "/certs"}, True, False,
         ("/certs/ca.pem", "/my/cert", "/certs/key.pem")),
        ({"tlskey": "/my/key"}, {}, True, False, (None, None, "/my/key")),
    ],
)  # fmt: skip
def test_tls_of_the_default_endpoint_as_docker_cli_decides_it(
    tmp_path: Path, opts: dict, env: dict, tls: bool, verify: bool, material: tuple
) -> None:
    endpoint = resolve(GlobalOptions(config=str(tmp_path), **opts), env=env).endpoint
    assert (endpoint.tls, endpoint.tls_verify) == (tls, verify)
    assert (endpoint.ca_cert, endpoint.cert, endpoint.key) == material


@pytest.mark.parametrize(
    ("env", "host"),
    [
        ({"DOCKER_TLS": "1"}, "tcp://localhost:2376"),
        ({"DOCKER_TLS_VERIFY": "1"}, "tcp://localhost:2376"),
        ({}, "unix:///var/run/docker.sock"),
    ],
)
def test_tls_from_the_environment_moves_the_default_host(
    tmp_path: Path, env: dict, host: str
) -> None:
    assert resolve(GlobalOptions(config=str(tmp_path)), env=env).endpoint.host == host


@pytest.mark.parametrize(
    ("files", "skip", "expect"),
    [
        ((), False, (False, False, None, None, None)),
        ((), True, (True, False, None, None, None)),
        (("ca.pem",), False, (True, True, "ca.pem", None, None)),
        (("ca.pem",), True, (True, False, "ca.pem", None, None)),
        (("cert.pem", "key.pem"), False, (True, False, None, "cert.pem", "key.pem")),
    ],
)
def test_a_context_s_tls_is_its_files_and_skip_flag(
    tmp_path: Path, files: tuple, skip: bool, expect: tuple
) -> None:
    from runtimecheck.dockercli import context_dir_name

    digest = context_dir_name("remote")
    meta = tmp_path / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    docker = {"Host": "tcp://h:2376", "SkipTLSVerify": skip}
    (meta / "meta.json").write_text(json.dumps({"Name": "remote", "Endpoints": {"docker": docker}}))
    tls_dir = tmp_path / "contexts" / "tls" / digest / "docker"
    tls_dir.mkdir(parents=True)
    for name in files:
        (tls_dir / name).write_text("x")
    endpoint = resolve(GlobalOptions(config=str(tmp_path), context="remote"), env={}).endpoint
    tls, verify, ca, cert, key = expect
    in_dir = lambda name: None if name is None else str(tls_dir / name)  # noqa: E731
    assert (endpoint.tls, endpoint.tls_verify, endpoint.skip_tls_verify) == (tls, verify, skip)
    assert (endpoint.ca_cert, endpoint.cert, endpoint.key) == (
        in_dir(ca),
        in_dir(cert),
        in_dir(key),
    )


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (None, "context 'remote' does not exist"),
        ("[]", "cannot read context 'remote' ({meta}): not a JSON object"),
        ('{"Endpoints": {}}', "context 'remote' has no docker endpoint ({meta})"),
        ('{"Endpoints": {"docker": {"Host": ""}}}', "context 'remote' has no docker endpoint ({meta})"),
        ('{"Endpoints": {"docker": {"Host": 5}}}', "context 'remote' has no docker endpoint ({meta})"),
    ],
)  # fmt: skip
def test_a_context_that_cannot_be_used_is_named(tmp_path: Path, meta, message: str) -> None:
    from runtimecheck.dockercli import context_dir_name

    path = tmp_path / "contexts" / "meta" / context_dir_name("remote") / "meta.json"
    if meta is not None:
        path.parent.mkdir(parents=True)
        path.write_text(meta)
    with pytest.raises(UsageError) as info:
        resolve(GlobalOptions(config=str(tmp_path), context="remote"), env={})
    assert info.value.message == message.format(meta=path)
    if meta is None:
        assert info.value.hint == (
            "list contexts with `docker context ls`; select one with `docker context use NAME`"
        )


@pytest.mark.parametrize(
    ("host", "normalised"),
    [("h:1", "tcp://h:1"), ("/run/d.sock", "unix:///run/d.sock"), ("ssh://u@h", "ssh://u@h")],
)
def test_a_context_host_without_a_scheme(tmp_path: Path, host: str, normalised: str) -> None:
    write_context(tmp_path, "other", host)
    endpoint = resolve(GlobalOptions(config=str(tmp_path), context="other"), env={}).endpoint
    assert endpoint.host == normalised


@pytest.mark.parametrize(
    ("content", "message", "hint"),
    [
        (b"{not json", "{path} is not valid JSON (", "fix or move the file"),
        (b"[1, 2]", "{path} is not a JSON object", None),
        (b"\xff{}", "{path} is not UTF-8 text", "fix or move the file"),
    ],
)
def test_a_config_json_that_cannot_be_used_is_named(
    tmp_path: Path, content: bytes, message: str, hint: str | None
) -> None:
    from runtimecheck.dockercli import read_config

    (tmp_path / "config.json").write_bytes(content)
    with pytest.raises(UsageError) as info:
        read_config(tmp_path)
    assert info.value.message.startswith(message.format(path=tmp_path / "config.json"))
    assert info.value.hint == hint


def test_config_json_absent_empty_or_unreadable(tmp_path: Path) -> None:
    from runtimecheck.dockercli import read_config

    assert read_config(tmp_path) == {}
    (tmp_path / "config.json").write_text(" \n")
    assert read_config(tmp_path) == {}
    (tmp_path / "config.json").unlink()
    (tmp_path / "config.json").mkdir()
    with pytest.raises(UsageError) as info:
        read_config(tmp_path)
    assert info.value.message == f"cannot read {tmp_path / 'config.json'}: Is a directory"


def test_the_config_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runtimecheck.dockercli import config_directory

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "given").mkdir()
    assert config_directory(GlobalOptions(config="~/given"), {}) == str(tmp_path / "given")
    assert config_directory(GlobalOptions(), {"DOCKER_CONFIG": "~/env"}) == str(tmp_path / "env")
    assert config_directory(GlobalOptions(), {}) == str(tmp_path / ".docker")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "from-process"))
    assert config_directory(GlobalOptions()) == str(tmp_path / "from-process")
    with pytest.raises(UsageError) as info:
        config_directory(GlobalOptions(config="~/missing"), {})
    assert info.value.message == f"docker config directory {tmp_path / 'missing'} does not exist"
    assert info.value.hint == "pass an existing directory to --config, or drop the flag"


def test_contexts_that_cannot_be_read_are_not_listed(tmp_path: Path) -> None:
    write_context(tmp_path, "good", "tcp://g:1")
    meta = tmp_path / "contexts" / "meta"
    for name, body in (("a", "{"), ("b", '{"Name": "b"}'), ("c", "[]")):
        (meta / name).mkdir()
        (meta / name / "meta.json").write_text(body)
    (meta / "d").mkdir()  # no meta.json
    (meta / "-sorted-first").mkdir()
    (meta / "-sorted-first" / "meta.json").write_text("{")
    assert list_contexts(tmp_path) == [("good", "tcp://g:1")]


def test_the_global_flags_in_every_position() -> None:
    opts, rest = parse_global_flags(["-c", "prod"])
    assert (opts.context, rest) == ("prod", [])
    # Standalone, an unknown flag only ends the global ones, even before our name.
    assert parse_global_flags(["--bogus", "runtimecheck"])[1] == ["--bogus", "runtimecheck"]
    # "-" and "--" are arguments, never unknown flags, also under the CLI.
    for word in ("-", "--"):
        assert parse_global_flags([word, "runtimecheck"], plugin_env=True)[1] == [
            word,
            "runtimecheck",
        ]


def test_endpoints_are_equal_when_everything_about_them_is(tmp_path: Path) -> None:
    one = resolve(GlobalOptions(config=str(tmp_path)), env={"DOCKER_HOST": "tcp://h:1"}).endpoint
    same = resolve(GlobalOptions(config=str(tmp_path)), env={"DOCKER_HOST": "tcp://h:1"}).endpoint
    other = resolve(GlobalOptions(config=str(tmp_path)), env={"DOCKER_HOST": "tcp://h:2"}).endpoint
    assert one == same and one != other
    assert one != "tcp://h:1"


def test_contexts_are_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    import locale

    from runtimecheck.dockercli import context_dir_name

    meta = tmp_path / "contexts" / "meta" / context_dir_name("café")
    meta.mkdir(parents=True)
    body = {"Name": "café", "Metadata": {"Description": "the café's daemon"},
            "Endpoints": {"docker": {"Host": "tcp://h:1"}}}  # fmt: skip
    (meta / "meta.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        listed = list_contexts(tmp_path)
        endpoint = resolve(GlobalOptions(config=str(tmp_path), context="café"), env={}).endpoint
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert listed == [("café", "tcp://h:1")]
    assert endpoint.host == "tcp://h:1"


def test_conflicting_endpoints_are_refused_in_docker_s_words(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        resolve(GlobalOptions(config=str(tmp_path), hosts=["tcp://a:1", "tcp://b:1"]), env={})
    assert info.value.message == "specify only one -H"
    with pytest.raises(UsageError) as info:
        resolve(GlobalOptions(config=str(tmp_path), context="x", hosts=["tcp://h:1"]), env={})
    assert info.value.message == "conflicting options: either specify --host or --context, not both"


def test_a_current_context_that_is_not_a_name_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"currentContext": 5}')
    cfg = resolve(GlobalOptions(config=str(tmp_path)), env={})
    assert cfg.endpoint.context == "default"
    assert cfg.data == {"currentContext": 5}  # config.json as read, for whoever needs more


def test_config_json_is_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    import locale

    from runtimecheck.dockercli import read_config

    (tmp_path / "config.json").write_text('{"detachKeys": "ctrl-é"}', encoding="utf-8")
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        assert read_config(tmp_path) == {"detachKeys": "ctrl-é"}
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def test_an_endpoint_is_plain_unless_told() -> None:
    from runtimecheck.dockercli import Endpoint

    endpoint = Endpoint("default", "unix:///var/run/docker.sock")
    assert (endpoint.tls, endpoint.tls_verify, endpoint.skip_tls_verify) == (False, False, False)
