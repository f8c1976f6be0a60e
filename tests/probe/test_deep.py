"""The behaviour probe (`--deep`): BuildKit's call sequence run for real, and what it leaves.

On this machine as root with Debian's runc (behaves), crun 1.8.1 (refuses `--keep` at parse
time) and a stand-in that wraps runc, accepts `--keep` and lets the container go when its
process exits (caught by what it does alone); runtimes that hang or flood at each step; the
script interrupted. After every run: no container, process, cgroup, mount or file of the probe.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from runtimecheck.behaviour import (
    BEHAVES,
    DIFFERS,
    INCONCLUSIVE,
    NOT_RUN,
    OUTCOME_DIFFERS,
    OUTCOME_NO_ANSWER,
    OUTCOME_OK,
)
from runtimecheck.probe import deep, incontainer
from runtimecheck.probe.host import probe_binary
from support.deep import DROPS_KEEP, Leftovers
from support.paths import PLUGIN
from support.processes import start_interruptible
from support.runtimes import BUILDKIT_INVOCATIONS, CRUN, RUNC, need, script

# --- the minimal programs ------------------------------------------------------------------


def elf_header(data: bytes) -> dict:
    ident = data[:16]
    (kind, machine, _, entry, phoff, _, _, _, phentsize, phnum) = struct.unpack(
        "<HHIQQQIHHH", data[16:58]
    )
    ptype, flags, offset, vaddr, _, filesz, memsz, _ = struct.unpack(
        "<IIQQQQQQ", data[phoff : phoff + phentsize]
    )
    return {
        "magic": ident[:4],
        "class": ident[4],
        "data": ident[5],
        "type": kind,
        "machine": machine,
        "entry": entry,
        "phnum": phnum,
        "load": (ptype, flags, offset, vaddr, filesz, memsz),
        "size": len(data),
    }


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_programs_are_static_executables_of_one_segment(machine):
    programs = {m: (e, s) for m, e, s in deep.programs(3)}
    for data in programs[machine]:
        h = elf_header(data)
        assert (h["magic"], h["class"], h["data"], h["type"]) == (b"\x7fELF", 2, 1, 2)
        assert h["machine"] == {"x86_64": 62, "aarch64": 183}[machine]
        assert h["phnum"] == 1  # one PT_LOAD, no PT_INTERP: nothing else is loaded
        ptype, flags, offset, vaddr, filesz, memsz = h["load"]
        assert (ptype, flags, offset) == (1, 5, 0)  # PT_LOAD, read + execute, the whole file
        assert filesz == memsz == h["size"] < 200
        assert vaddr + 120 == h["entry"]  # the code right after the two headers


def run_program(machine: str, path: Path) -> tuple[int, float]:
    """Run a program for `machine` here: natively, or under qemu-user for the other one."""
    argv = [str(path)]
    if machine != platform.machine():
        argv = [need(shutil.which(f"qemu-{machine}") or f"/usr/bin/qemu-{machine}"), str(path)]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, timeout=30)
    return done.returncode, time.monotonic() - started


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_programs_run_exit_0_and_sleep(tmp_path, machine):
    [(exits, sleeps)] = [(e, s) for m, e, s in deep.programs(1) if m == machine]
    for name, data in (("exits", exits), ("sleeps", sleeps)):
        (tmp_path / name).write_bytes(data)
        (tmp_path / name).chmod(0o555)
    code, took = run_program(machine, tmp_path / "exits")
    assert code == 0 and took < 5
    code, took = run_program(machine, tmp_path / "sleeps")
    assert code == 0 and 1 <= took < 10


@pytest.mark.parametrize("shell", [["dash", "-c"], ["busybox", "sh", "-c"]])
def test_printf_writes_a_program_byte_for_byte(shell):
    need(shutil.which(shell[0]) or f"/usr/bin/{shell[0]}")
    for _, exits, sleeps in deep.programs(7):
        for data in (exits, sleeps, bytes(range(256))):
            done = subprocess.run(
                [*shell, 'printf "$1"', "sh", deep.printf_format(data)],
                capture_output=True,
                timeout=30,
            )
            assert done.stdout == data


def test_the_containers_have_nothing_from_outside():
    data = deep.script_data("runtimecheck-probe-0123456789abcdef", 5)
    nprog = int(data[0])
    configs = [json.loads(c) for c in data[1 + 3 * nprog :]]
    assert len(configs) == 3
    for config, name, mark in zip(configs, ("keep", "kill", "plain"), ("deep", "kill", "deep")):
        assert config["root"] == {"path": "rootfs", "readonly": True}
        assert config["process"]["args"] == ["/probe"]
        assert (
            f"RUNTIMECHECK_PROBE=runtimecheck-probe-0123456789abcdef.{mark}"
            in (config["process"]["env"])
        )
        assert "capabilities" not in config["process"]  # none at all
        # Only mounts made fresh inside the container: nothing bound from the machine.
        assert {m["type"] for m in config["mounts"]} == {"proc", "tmpfs"}
        assert all(m.get("options", []).count("bind") == 0 for m in config["mounts"])
        namespaces = {n["type"] for n in config["linux"]["namespaces"]}
        assert {"network", "pid", "mount"} <= namespaces  # a network namespace of its own
        assert all("path" not in n for n in config["linux"]["namespaces"])  # joins none
        assert config["linux"]["cgroupsPath"] == f"/runtimecheck-probe-0123456789abcdef-{name}"


# --- judging the records -------------------------------------------------------------------


def call(name, status="0", out="", err="", log=""):
    return deep.Call(name, status, out, err, log)


STOPPED = json.dumps({"id": "x", "status": "stopped"})
RUNNING = json.dumps({"id": "x", "status": "running"})
GONE = '{"level":"error","msg":"container does not exist","time":"2024-01-01T00:00:00Z"}'


def behaving(**changes):
    calls = {
        "run-keep": call("run-keep"),
        "state-kept": call("state-kept", out=STOPPED),
        "delete": call("delete"),
        "state-deleted": call("state-deleted", "1", log=GONE),
        "kill-started": call("kill-started", out=RUNNING),
        "kill": call("kill"),
        "kill-run": call("kill-run", "137"),
        "kill-state": call("kill-state", out=STOPPED),
        "kill-delete": call("kill-delete"),
    }
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            calls.pop(name)
        else:
            calls[name] = value
    return calls


def outcomes(behaviour):
    return [(s.name, s.outcome) for s in behaviour.steps]


def test_every_step_as_buildkit_needs_behaves():
    found = deep.judge(behaving())
    assert (found.result, found.step, found.reason) == (BEHAVES, None, "")
    assert outcomes(found) == [(name, OUTCOME_OK) for name in behaving()]
    assert found.steps[-3].evidence == "ended: exit 137"  # the runtime's own status


def test_keep_refused_at_parse_time_differs_at_run_keep():
    refused = call("run-keep", "64", err="run: unrecognized option '--keep'\n")
    found = deep.judge({"run-keep": refused, "run-plain": call("run-plain", "1")})
    assert (found.result, found.step) == (DIFFERS, "run-keep")
    assert found.reason == (
        "`run --keep` was refused as an option (exit 64: run: unrecognized option '--keep')"
    )


def test_keep_failing_where_a_plain_run_works_differs():
    failing = call("run-keep", "1", log='{"msg":"keep: not supported here"}')
    found = deep.judge({"run-keep": failing, "run-plain": call("run-plain", "0")})
    assert (found.result, found.step) == (DIFFERS, "run-keep")
    assert "where a plain `run` of the same container works" in found.reason
    assert outcomes(found) == [("run-keep", OUTCOME_DIFFERS), ("run-plain", OUTCOME_OK)]


def test_a_machine_that_runs_no_container_at_all_is_not_run():
    cgroups = '{"msg":"cgroups in hybrid mode not supported, drop all controllers from cgroupv2"}'
    found = deep.judge(
        {
            "run-keep": call("run-keep", "1", log=cgroups),
            "run-plain": call("run-plain", "1", log=cgroups),
        }
    )
    assert found.result == NOT_RUN
    assert found.reason == (
        "the runtime could not run a minimal container here, with or without --keep "
        "(exit 1: cgroups in hybrid mode not supported, drop all controllers from cgroupv2)"
    )


def test_a_container_gone_after_run_keep_differs_at_state():
    found = deep.judge(behaving(state_kept=call("state-kept", "1", log=GONE)))
    assert (found.result, found.step) == (DIFFERS, "state-kept")
    assert found.reason == (
        "after `run --keep` returned, `state <id>` found no container: the runtime removed it "
        "when its process exited (exit 1: container does not exist)"
    )
    assert outcomes(found) == [("run-keep", OUTCOME_OK), ("state-kept", OUTCOME_DIFFERS)]


@pytest.mark.parametrize(
    ("changes", "step", "words"),
    [
        ({"state_kept": call("state-kept", out=RUNNING)}, "state-kept", "status 'running'"),
        ({"state_kept": call("state-kept", out="garbage")}, "state-kept", "no status"),
        ({"delete": call("delete", "1", log=GONE)}, "delete", "failed"),
        ({"state_deleted": call("state-deleted", out=STOPPED)}, "state-deleted", "still finds"),
        ({"kill": call("kill", "1", err="nope")}, "kill", "failed (exit 1: nope)"),
        ({"kill_run": call("kill-run", "timeout")}, "kill-run", "did not end"),
        ({"kill_state": call("kill-state", out=RUNNING)}, "kill-state", "'running'"),
        ({"kill_delete": call("kill-delete", "1")}, "kill-delete", "failed"),
    ],
)
def test_each_step_that_differs_is_named(changes, step, words):
    found = deep.judge(behaving(**changes))
    assert (found.result, found.step) == (DIFFERS, step)
    assert words in found.reason
    assert found.steps[-1].name == step and found.steps[-1].outcome == OUTCOME_DIFFERS
    assert found.kill_part == step.startswith("kill")


@pytest.mark.parametrize(
    ("changes", "step", "words"),
    [
        ({"run_keep": call("run-keep", "timeout")}, "run-keep", "no answer within"),
        ({"state_kept": call("state-kept", "budget")}, "state-kept", "time for the probe ran out"),
        ({"delete": call("delete", str(128 + 13))}, "delete", "killed by SIGPIPE"),
        ({"kill_started": call("kill-started", "0", out=STOPPED)}, "kill-started", "never showed"),
        ({"kill": None}, "kill", "has no answer"),
    ],
)
def test_no_answer_is_inconclusive(changes, step, words):
    found = deep.judge(behaving(**changes))
    assert (found.result, found.step) == (INCONCLUSIVE, step)
    assert words in found.reason
    if found.steps and found.steps[-1].name == step:
        assert found.steps[-1].outcome == OUTCOME_NO_ANSWER


def test_records_say_why_it_was_not_run_and_what_was_left():
    class R:
        def __init__(self, tag, status, key, *payloads):
            self.tag, self.status, self.key, self.payloads = tag, status, key, list(payloads)

    records = [
        R("version", "0", "", b"runc version 1.1.5\n"),
        R("deep", "not-run", "-", b"not root (uid 1000): creating a container needs root"),
        R("deep", "left", "-", b"cgroup /sys/fs/cgroup/x;\x1b[2J"),
    ]
    found = deep.from_records(records, True)
    assert (found.result, found.reason) == (
        NOT_RUN,
        "not root (uid 1000): creating a container needs root",
    )
    assert found.left == "cgroup /sys/fs/cgroup/x;?[2J"  # escaped, one line
    assert deep.from_records([], False).reason.endswith("the probe script ended before it")


# --- on this machine, for real ---------------------------------------------------------------


@pytest.fixture
def leftovers(private_tmp):
    if os.geteuid() != 0:
        pytest.skip("the behaviour probe runs containers: root only (CI runs as root)")
    found = Leftovers(private_tmp)
    yield found
    found.assert_none(within=5)


def test_debian_runc_behaves_as_buildkit_needs(leftovers):
    facts = probe_binary(need(RUNC), BUILDKIT_INVOCATIONS, deep=True)
    found = facts.behaviour
    assert (found.result, found.step, found.left) == (BEHAVES, None, None), found.reason
    assert [s.name for s in found.steps] == [
        "run-keep",
        "state-kept",
        "delete",
        "state-deleted",
        "kill-started",
        "kill",
        "kill-run",
        "kill-state",
        "kill-delete",
    ]
    assert found.steps[1].evidence == "stopped"
    assert found.steps[3].evidence == "no container any more (exit 1: container does not exist)"
    leftovers.assert_none()


def test_debian_crun_refuses_keep_at_the_first_step(leftovers):
    facts = probe_binary(need(CRUN), BUILDKIT_INVOCATIONS, deep=True)
    found = facts.behaviour
    assert (found.result, found.step) == (DIFFERS, "run-keep")
    assert found.steps[0].evidence == "exit 64: run: unrecognized option '--keep'"
    leftovers.assert_none()


def test_a_runtime_that_drops_keep_is_caught_by_what_it_does(leftovers, tmp_path, monkeypatch):
    need(RUNC)
    calls = tmp_path / "calls"
    monkeypatch.setenv("RUNTIMECHECK_TEST_CALLS", str(calls))
    facts = probe_binary(str(DROPS_KEEP), BUILDKIT_INVOCATIONS, deep=True)
    # It is runc 1.1.5 to its --version, and it parses every option: only behaviour tells.
    assert (facts.identity.name, facts.identity.version) == ("runc", "1.1.5+ds1")
    assert {p.status for p in facts.probes.values()} == {"accepted"}
    found = facts.behaviour
    assert (found.result, found.step) == (DIFFERS, "state-kept")
    assert found.steps[-1].evidence == "exit 1: container does not exist"
    # The calls, as BuildKit's runc executor makes them, under one private --root.
    made = [line.split() for line in calls.read_text().splitlines()]
    sequence = [argv for argv in made if len(argv) > 1 and argv[1].endswith("/deep/root")]
    root = sequence[0][1]
    assert Path(root).parent.parent.parent == leftovers.tmp  # TMPDIR/tmp.X/deep/root
    for argv in sequence:  # go-runc's global options on every call, after the private root
        assert argv[0:6:2] == ["--root", "--log", "--log-format"]
        assert (argv[1], argv[5]) == (root, "json")
    container = sequence[0][-1]
    assert container.startswith("runtimecheck-probe-") and container.endswith("-keep")
    assert [argv[6:] for argv in sequence] == [
        ["run", "--bundle", sequence[0][8], "--keep", container],
        ["state", container],
    ]
    leftovers.assert_none(root)


def hostile(tmp_path, body: str) -> str:
    """A runtime that is Debian's runc but for what `body` does first (sh, $* the arguments)."""
    return script(tmp_path / "runc", f'{body}\nexec {need(RUNC)} "$@"\n')


HOSTILE = {
    # Each: what it does, the step that gets no answer.
    "hangs-on-state": ('case " $* " in *" state "*) exec sleep 1000;; esac', "state-kept"),
    "hangs-after-run": (
        'case " $* " in *" run "*|*--version*) ;; *) exec sleep 1000;; esac',
        "state-kept",
    ),
    "hangs-in-run": ('case " $* " in *" run "*) {runc} "$@" & exec sleep 1000;; esac', "run-keep"),
    "hangs-on-kill": ('case " $* " in *" kill "*) exec sleep 1000;; esac', "kill"),
    "ignores-kill": ('case " $* " in *" kill "*) exit 0;; esac', "kill-run"),
    "floods-state": ('case " $* " in *" state "*) exec yes flood;; esac', "state-kept"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_runtime_is_bounded_and_leaves_nothing(leftovers, tmp_path, name):
    body, step = HOSTILE[name]
    runtime = hostile(tmp_path, body.replace("{runc}", need(RUNC)))
    started = time.monotonic()
    found = deep.on_host(runtime, call_timeout=1, timeout=20)
    assert time.monotonic() - started < 20
    assert found.step == step, found
    if name == "ignores-kill":
        # `kill` said 0 and the container kept running: that is what differs.
        assert found.result == DIFFERS
    else:
        assert found.result == INCONCLUSIVE
    if name == "floods-state":
        assert found.reason == "`state <id>` was killed by SIGPIPE"  # cut at 64 KiB
    leftovers.assert_none()


@pytest.fixture
def shared():
    """A directory any user can write, reachable by any user (pytest's tmp_path is not)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    path = Path(tempfile.mkdtemp(prefix="runtimecheck-test-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


def as_nobody() -> list[str]:
    setpriv = need(shutil.which("setpriv") or "/usr/bin/setpriv")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_not_root_is_not_run_and_says_why(shared):
    transport = incontainer.command_transport(["env", f"TMPDIR={shared}", *as_nobody()])
    probe = incontainer.run_in_container(
        transport, candidates=[need(RUNC)], invocations=[], deep=True
    )
    found = probe.runtime.behaviour
    assert (found.result, found.reason) == (
        NOT_RUN,
        "not root (uid 65534): creating a container needs root",
    )
    assert list(shared.iterdir()) == []


def start_script(private_tmp, runtime, **kw):
    argv = incontainer.script_argv(candidates=[runtime], invocations=[], deep=True, **kw)
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(private_tmp)}
    return start_interruptible(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL])
def test_interrupted_while_a_container_runs_leaves_nothing(leftovers, tmp_path, sig):
    # kill never answers: the sleeping container runs until the script is interrupted.
    runtime = hostile(tmp_path, HOSTILE["hangs-on-kill"][0])
    proc = start_script(leftovers.tmp, runtime, call_timeout=30, timeout=60)
    try:
        deadline = time.monotonic() + 30
        while not _marked_with_env(".kill"):
            assert time.monotonic() < deadline, "the kill container never ran"
            time.sleep(0.05)
        time.sleep(0.3)  # into the hanging `kill`
        proc.send_signal(sig)
        proc.wait(timeout=30)
        # Without its traps (SIGKILL) the script's timer cleans up at its next tick.
        leftovers.assert_none(within=10)
    finally:
        proc.kill()
        proc.wait()


def _marked_with_env(suffix: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if any(v.startswith(b"RUNTIMECHECK_PROBE=") and v.endswith(suffix.encode())
               for v in environ.split(b"\0")):  # fmt: skip
            found.append(f"{pid}{suffix}")
    return found


# --- `docker runtimecheck probe PATH --deep` ------------------------------------------------


def probe_cli(private_tmp, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNTIMECHECK_")}
    env.update(PYTHONPATH=str(PLUGIN), TMPDIR=str(private_tmp))
    return subprocess.run(
        [sys.executable, "-m", "runtimecheck", "probe", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def test_probe_deep_of_runc_passes_and_says_it_behaves(leftovers):
    done = probe_cli(leftovers.tmp, need(RUNC), "--deep")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ behaves as BuildKit needs: run --keep, state, delete, kill" in done.stdout
    doc = json.loads(probe_cli(leftovers.tmp, need(RUNC), "--deep", "-f", "json").stdout)
    assert doc["verdict"] == "pass"
    assert doc["runtime"]["behaviour"]["result"] == "behaves"
    [check] = [c for c in doc["checks"] if c["id"] == "behaviour"]
    assert (check["status"], check["verdict"]) == ("accepted", "pass")


def test_probe_deep_blocks_a_runtime_that_drops_keep(leftovers):
    need(RUNC)
    done = probe_cli(leftovers.tmp, str(DROPS_KEEP), "--deep")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ BuildKit's call sequence (behaviour): differs" in done.stdout
    assert "found no container: the runtime removed it when its process exited" in done.stdout
    assert done.stdout.rstrip().endswith("verdict: ✗ block")
    # Without --deep the same binary passes: the data and the parse probes cannot see it.
    assert probe_cli(leftovers.tmp, str(DROPS_KEEP)).returncode == 0


def test_probe_deep_as_another_user_says_it_was_not_run(shared):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(PLUGIN), "HOME": str(shared),
           "TMPDIR": str(shared)}  # fmt: skip
    done = subprocess.run(
        [*as_nobody(), sys.executable, "-m", "runtimecheck", "probe", need(RUNC), "--deep"],
        capture_output=True, text=True, timeout=120, env=env, cwd=shared,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr  # runc passes on its probes
    assert (
        "note: Behaviour probe (--deep) not run: not root (uid 65534): creating a container "
        "needs root (run the check as root, e.g. with sudo, for BuildKit's calls on this host)."
        in done.stdout
    )
    assert "behaves" not in done.stdout
