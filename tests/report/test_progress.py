from __future__ import annotations

import threading

from runtimecheck.report.progress import Progress, wanted
from support.report_samples import FakeStream


def test_only_on_a_terminal_and_not_in_ci():
    assert wanted(FakeStream(tty=True), {})
    assert not wanted(FakeStream(tty=False), {})
    assert not wanted(FakeStream(tty=True), {"CI": "true"})
    assert not wanted(FakeStream(tty=True), {"TERM": "dumb"})
    assert not wanted(None, {})


def test_off_a_terminal_nothing_is_written():
    stream = FakeStream(tty=False)
    with Progress(stream, env={}) as progress:
        progress.update("probing ci0")
    assert stream.getvalue() == ""


def test_on_a_terminal_the_line_is_drawn_then_cleared():
    stream = FakeStream(tty=True)
    with Progress(stream, env={}, interval=3600) as progress:
        progress.update("probing\nci0")
        assert "probing ci0" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_nothing_drawn_means_nothing_to_clear():
    stream = FakeStream(tty=True)
    with Progress(stream, env={}, interval=3600):
        pass
    assert stream.getvalue() == ""


def test_ascii_terminal_gets_ascii_frames():
    stream = FakeStream(tty=True, encoding="ascii")
    with Progress(stream, env={}, interval=3600) as progress:
        progress.update("probing ‘ci0’")
    drawn = stream.getvalue()
    assert "probing ?ci0?" in drawn
    assert drawn.split("\r\x1b[K")[1][0] in "|/-\\"
    drawn.encode("ascii")


def test_updates_from_many_threads():
    stream = FakeStream(tty=True)
    with Progress(stream, env={}, interval=0.001) as progress:
        threads = [
            threading.Thread(target=lambda n=n: [progress.update(f"node {n}") for _ in range(50)])
            for n in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    out = stream.getvalue()
    # Every draw is whole: each starts by clearing the line and names one node.
    draws = [d for d in out.split("\r\x1b[K") if d]
    assert draws
    assert all(d[2:].startswith("node ") and len(d.split()) == 3 for d in draws)
    assert out.endswith("\r\x1b[K")


def test_update_after_close_writes_nothing():
    stream = FakeStream(tty=True)
    progress = Progress(stream, env={}, interval=3600)
    with progress:
        pass
    progress.update("late")
    assert stream.getvalue() == ""
