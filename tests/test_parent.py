"""The docker CLI's plugin socket: its EOF interrupts the plugin, nothing else does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from runtimecheck import parent
from support.paths import PLUGIN


@pytest.fixture
def unwatched(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parent, "_connection", None)
    return monkeypatch


def test_without_the_socket_nothing_is_watched(unwatched) -> None:
    unwatched.delenv("DOCKER_CLI_PLUGIN_SOCKET", raising=False)
    parent.watch_parent_cli()
    assert parent._connection is None


def test_a_socket_nobody_listens_on_is_not_watched(unwatched, tmp_path: Path) -> None:
    unwatched.setenv("DOCKER_CLI_PLUGIN_SOCKET", str(tmp_path / "gone.sock"))
    parent.watch_parent_cli()
    assert parent._connection is None
    unwatched.setenv("DOCKER_CLI_PLUGIN_SOCKET", f"@rtc-test-{uuid.uuid4().hex}")
    parent.watch_parent_cli()
    assert parent._connection is None


@pytest.fixture
def interruptible():
    """SIGINT raises KeyboardInterrupt in this process, whatever the suite was started with."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_eof_from_the_cli_interrupts_and_a_closed_socket_does_not(interruptible) -> None:
    ours, cli = socket.socketpair()
    cli.sendall(b"anything the CLI says first is read and ignored")
    cli.close()
    with pytest.raises(KeyboardInterrupt):
        parent._wait_for_eof(ours)  # SIGINT to this process: KeyboardInterrupt here
    ours.close()
    parent._wait_for_eof(ours)  # recv fails: the watcher ends quietly


@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["default", "ignored"])
def test_a_plugin_watching_an_abstract_socket_stops_when_the_cli_goes_away(sigint) -> None:
    # As the docker CLI 25+ does: an abstract socket "@NAME", closed when the CLI exits.
    name = f"rtc-test-{uuid.uuid4().hex}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + name)
    server.listen(1)
    server.settimeout(60)
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(PLUGIN)!r})
        from runtimecheck import parent
        try:
            parent.watch_parent_cli()
            print("watching", flush=True)
            time.sleep(120)
        except KeyboardInterrupt:
            print("interrupted")
    """)
    env = dict(os.environ, DOCKER_CLI_PLUGIN_SOCKET="@" + name)
    # Ignored: started as a script's background job is, and the CLI still goes away.
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))  # fmt: skip
    try:
        conn, _ = server.accept()
        assert child.stdout is not None and child.stdout.readline() == "watching\n"
        conn.close()  # the CLI went away
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        server.close()
    assert (out, child.returncode) == ("interrupted\n", 0), err
