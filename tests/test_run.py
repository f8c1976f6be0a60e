"""The one subprocess helper: bounded in time and memory, whatever the program does."""

from __future__ import annotations

import os
import sys
import time

from runtimecheck.run import MAX_OUTPUT, run


def test_exit_status_and_output_are_kept():
    done = run(
        [
            sys.executable,
            "-c",
            "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
        ]
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    assert not done.timed_out and done.error is None


def test_a_missing_program_is_an_outcome_not_an_exception(tmp_path):
    done = run([str(tmp_path / "nope")])
    assert done.returncode is None and done.error and "nope" in done.error


def test_endless_output_is_cut_not_buffered():
    done = run(["yes", "x" * 100], timeout=2)
    assert done.timed_out
    assert len(done.stdout) == MAX_OUTPUT


def test_a_descendant_that_escapes_and_holds_the_pipe_does_not_hold_us(tmp_path):
    pidfile = tmp_path / "escaped.pid"
    script = f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' & sleep 0.5; echo parent done"
    started = time.monotonic()
    done = run(["sh", "-c", script], timeout=30)
    try:
        assert done.returncode == 0
        assert b"parent done" in done.stdout
        assert time.monotonic() - started < 30  # not the escaped sleeper's 60 s
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 9)


def test_the_whole_process_group_is_killed_on_timeout(tmp_path):
    pidfile = tmp_path / "child.pid"
    done = run(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"], timeout=1)
    assert done.timed_out and done.returncode is None
    child = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the child outlived the timeout")
