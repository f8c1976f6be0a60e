"""Connection failures become one sentence with the next step, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests.exceptions
import urllib3.exceptions

from runtimecheck import engine
from runtimecheck.dockercli import Endpoint
from runtimecheck.errors import RuntimecheckError


def wrapped(inner: BaseException) -> BaseException:
    """How requests reports a unix-socket failure: ConnectionError(ProtocolError(…, inner))."""
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", inner)
    )


ENDPOINT = Endpoint(context="default", host="unix:///var/run/docker.sock")


def test_permission_denied_names_the_socket_and_the_group() -> None:
    error = engine.translate(wrapped(PermissionError(13, "Permission denied")), ENDPOINT)
    assert "permission denied" in error.message and "/var/run/docker.sock" in error.message
    assert error.hint is not None and "docker group" in error.hint


def test_missing_socket_says_start_dockerd() -> None:
    error = engine.translate(wrapped(FileNotFoundError(2, "No such file")), ENDPOINT)
    assert "nothing listens on /var/run/docker.sock" in error.message
    assert error.hint is not None and "start dockerd" in error.hint


def test_timeout_names_the_bound() -> None:
    error = engine.translate(requests.exceptions.ReadTimeout("read timed out"), ENDPOINT, 7)
    assert "did not answer within 7 s" in error.message


def test_connect_to_nothing_raises_a_clear_error(tmp_path: Path) -> None:
    endpoint = Endpoint(context="default", host=f"unix://{tmp_path}/none.sock")
    with pytest.raises(RuntimecheckError) as info:
        engine.connect(endpoint, timeout=2)
    assert "nothing listens" in info.value.message


def test_a_daemon_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "mute.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    try:
        with pytest.raises(RuntimecheckError) as info:
            engine.connect(Endpoint(context="default", host=f"unix://{path}"), timeout=0.5)
    finally:
        server.close()
    assert "did not answer within 0.5 s" in info.value.message


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_permission_denied_on_a_real_socket(tmp_path: Path) -> None:
    path = tmp_path / "root-only.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    os.chmod(path, 0o600)
    os.chmod(tmp_path, 0o755)
    code = (
        "import sys; from runtimecheck import engine; from runtimecheck.dockercli import Endpoint\n"
        "from runtimecheck.errors import RuntimecheckError\n"
        "try:\n"
        f"    engine.connect(Endpoint('default', 'unix://{path}'), timeout=2)\n"
        "except RuntimecheckError as e:\n"
        "    print(e.message); sys.exit(3)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            user=65534,
            env={**os.environ, "HOME": "/tmp"},
        )
    except PermissionError:
        pytest.skip("this Python cannot be run by another user")
    finally:
        server.close()
    if "PermissionError" in done.stderr and "site-packages" in done.stderr:
        pytest.skip("the virtualenv is not readable by another user")
    assert done.returncode == 3, done.stderr
    assert "permission denied on the Docker socket" in done.stdout
