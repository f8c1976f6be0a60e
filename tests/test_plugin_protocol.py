"""The Docker CLI plugin protocol, through the real `docker` CLI."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import runtimecheck
from support.processes import run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("docker"), reason="needs the docker CLI"),
]


@pytest.fixture
def plugin_config(tmp_path, zipapp) -> Path:
    """A docker config directory with the zipapp installed as a CLI plugin."""
    config = tmp_path / "docker-config"
    (config / "cli-plugins").mkdir(parents=True)
    shutil.copy2(zipapp, config / "cli-plugins" / "docker-runtimecheck")
    return config


def docker(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run(["docker", "--config", config, *args], env=env)


def test_docker_runs_the_plugin(plugin_config, zipapp_env):
    answer = docker(plugin_config, "runtimecheck", "--version", env=zipapp_env)
    assert answer.returncode == 0, answer.stderr
    expected = f"version {runtimecheck.__version__} (knowledge of {runtimecheck.metadata_date()})"
    assert answer.stdout.strip() == f"docker-runtimecheck {expected}"


def test_docker_help_lists_the_plugin(plugin_config, zipapp_env):
    answer = docker(plugin_config, "--help", env=zipapp_env)
    assert answer.returncode == 0
    line = next(ln for ln in answer.stdout.splitlines() if ln.strip().startswith("runtimecheck"))
    assert "OCI runtime" in line


def test_plugin_help_reads_like_a_docker_command(plugin_config, zipapp_env):
    answer = docker(plugin_config, "runtimecheck", "--help", env=zipapp_env)
    assert answer.returncode == 0, answer.stderr
    assert "docker runtimecheck" in answer.stdout
    for command in ("probe", "rules", "build", "install", "uninstall"):
        assert command in answer.stdout


def test_host_flag_reaches_the_plugin(plugin_config, zipapp_env, tmp_path):
    sock = tmp_path / "nobody-listens.sock"
    answer = docker(
        plugin_config,
        "-H",
        f"unix://{sock}",
        "-l",
        "debug",
        "runtimecheck",
        "--format",
        "json",
        env=zipapp_env,
    )
    assert f"docker endpoint unix://{sock} (context default)" in answer.stderr
    assert "Traceback" not in answer.stderr


def without_endpoint_env(env: dict) -> dict:
    """DOCKER_HOST / DOCKER_CONTEXT outrank config.json's currentContext, as in docker."""
    return {k: v for k, v in env.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}


def test_context_flag_reaches_the_plugin(plugin_config, zipapp_env, tmp_path):
    zipapp_env = without_endpoint_env(zipapp_env)
    sock = tmp_path / "ctx.sock"
    created = docker(
        plugin_config,
        "context",
        "create",
        "elsewhere",
        "--docker",
        f"host=unix://{sock}",
        env=zipapp_env,
    )
    assert created.returncode == 0, created.stderr
    answer = docker(
        plugin_config, "--context", "elsewhere", "-l", "debug", "runtimecheck", env=zipapp_env
    )
    assert f"docker endpoint unix://{sock} (context elsewhere)" in answer.stderr
    # `docker context use` is what most people do: config.json's currentContext.
    used = docker(plugin_config, "context", "use", "elsewhere", env=zipapp_env)
    assert used.returncode == 0, used.stderr
    answer = docker(plugin_config, "-l", "debug", "runtimecheck", env=zipapp_env)
    assert f"docker endpoint unix://{sock} (context elsewhere)" in answer.stderr


def standalone(zipapp: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """The plugin file run directly, the way the docker CLI would start it."""
    return run([zipapp, *args], timeout=60, env=env)


def test_missing_context_is_a_one_line_usage_error(plugin_config, zipapp, zipapp_env):
    zipapp_env = without_endpoint_env(zipapp_env)
    (plugin_config / "config.json").write_text('{"currentContext": "ghost"}')
    before = (plugin_config / "config.json").read_bytes()
    answer = standalone(zipapp, zipapp_env, "--config", str(plugin_config), "runtimecheck")
    assert answer.returncode == 2
    assert "context 'ghost' does not exist" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert (plugin_config / "config.json").read_bytes() == before


def test_missing_config_directory_is_a_usage_error(zipapp, zipapp_env, tmp_path):
    answer = standalone(zipapp, zipapp_env, "--config", str(tmp_path / "nope"), "runtimecheck")
    assert answer.returncode == 2
    assert "does not exist" in answer.stderr
    assert not (tmp_path / "nope").exists()


def test_plugin_stops_when_the_parent_cli_goes_away(zipapp, zipapp_env, tmp_path):
    """EOF on DOCKER_CLI_PLUGIN_SOCKET interrupts even a long probe, leaving nothing behind."""
    sleeper = tmp_path / "hangs"
    pidfile = tmp_path / "runtime.pid"
    sleeper.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 300\n")
    sleeper.chmod(0o755)
    name = f"docker_cli_test_{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + name)
    server.listen(1)
    env = dict(zipapp_env, DOCKER_CLI_PLUGIN_SOCKET="@" + name)
    proc = subprocess.Popen(
        [str(zipapp), "probe", str(sleeper), "--timeout", "600"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server.settimeout(60)
        conn, _ = server.accept()
        for _ in range(600):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.1)
        runtime_pid = int(pidfile.read_text())
        conn.close()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        server.close()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    with pytest.raises(ProcessLookupError):
        os.kill(runtime_pid, 0)
