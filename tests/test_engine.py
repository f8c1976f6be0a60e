"""Connection failures become one sentence with the next step, never a traceback."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import docker.errors
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


def test_an_error_answer_of_the_daemon_is_one_sentence() -> None:
    response = requests.Response()
    response.status_code = 500
    api_error = docker.errors.APIError("500 Server Error", response, explanation="disk full")
    with pytest.raises(RuntimecheckError) as info, engine.engine_errors(ENDPOINT, 5, "doing x"):
        raise api_error
    assert info.value.message == (
        "the Docker daemon at unix:///var/run/docker.sock answered HTTP 500 (doing x): disk full"
    )
    assert info.value.hint is not None and "docker version" in info.value.hint


def test_not_found_passes_through_for_the_caller_to_handle() -> None:
    with pytest.raises(docker.errors.NotFound), engine.engine_errors(ENDPOINT):
        raise docker.errors.NotFound("no such container")


def test_connecting_without_asking_the_version_sends_nothing(tmp_path: Path) -> None:
    # Nothing listens there: a request would fail, so none may be sent.
    endpoint = Endpoint(context="default", host=f"unix://{tmp_path}/none.sock")
    before = engine.round_trips()
    found = engine.connect(endpoint, timeout=2, ask_version=False)
    try:
        assert engine.round_trips() == before
        with pytest.raises(RuntimecheckError) as info, engine.engine_errors(endpoint, 2):
            found.inspect_container("x")
        assert "nothing listens" in info.value.message
    finally:
        found.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_permission_denied_on_a_real_socket(tmp_path: Path) -> None:
    path = tmp_path / "root-only.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    os.chmod(path, 0o600)
    os.chmod(tmp_path, 0o755)
    read_end, write_end = os.pipe()
    # A forked child drops to nobody: its interpreter and modules are already in memory, so
    # it does not matter that the virtualenv may not be readable by that user.
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 1
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            try:
                engine.connect(Endpoint("default", f"unix://{path}"), timeout=2)
                message = "connected"
            except RuntimecheckError as e:
                message = e.message
            os.write(write_end, message.encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as child:
            said = child.read().decode()
        _, status = os.waitpid(pid, 0)
    finally:
        server.close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert "permission denied on the Docker socket" in said, said
