from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from runtimecheck.facts import ACCEPTED, REJECTED, UNKNOWN
from runtimecheck.probe.incontainer import (
    command_transport,
    docker_exec_transport,
    run_in_container,
    script_argv,
)
from runtimecheck.run import run
from support.containers import put_file
from support.processes import start_interruptible
from support.runtimes import BUILDKIT_INVOCATIONS, CRUN, IDS, RUNC, need, processes_running, script

SHELLS = ["dash", "busybox"]  # Debian's /bin/sh, and the sh of busybox-based images


def with_shell(shell: str, argv: list[str]) -> list[str]:
    """`sh …` as `shell …`."""
    assert argv[0] == "sh"
    return ["busybox", "sh", *argv[1:]] if shell == "busybox" else ["dash", *argv[1:]]


def local_transport(shell: str, path_env: str, tmpdir: Path):
    """Runs the script on this machine with `shell` as sh, like an exec would in a container."""
    calls = []

    def exec_argv(argv, timeout):
        calls.append(argv)
        env = {"PATH": path_env, "TMPDIR": str(tmpdir)}
        done = run(with_shell(shell, argv), timeout=timeout, env=env)
        return (None if done.timed_out else done.returncode), done.stdout, done.stderr

    exec_argv.calls = calls
    return exec_argv


@pytest.fixture(params=SHELLS)
def shell(request):
    need(f"/usr/bin/{request.param}")
    return request.param


@pytest.fixture
def box(tmp_path):
    """A PATH of fake images: bin/ with the real runtimes under BuildKit's names."""
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    yield SimpleNamespace(bin=bin_dir, tmp=tmp, path=f"{bin_dir}:/usr/bin:/bin")
    assert list(tmp.iterdir()) == []  # the script removed its mktemp -d


def probe(box, shell, **kw):
    transport = local_transport(shell, box.path, box.tmp)
    kw.setdefault("invocations", BUILDKIT_INVOCATIONS)
    result = run_in_container(transport, **kw)
    assert len(transport.calls) == 1  # one exec, whatever was asked
    return result


def test_crun_installed_as_buildkit_runc(box, shell):
    (box.bin / "buildkit-runc").symlink_to(need(CRUN))
    (box.bin / "runc").symlink_to(need(RUNC))
    result = probe(box, shell, candidates=["buildkit-runc", "runc"])
    facts = result.runtime
    assert facts.path == str(box.bin / "buildkit-runc")
    assert facts.error is None and facts.verified and facts.where == "container"
    assert (facts.identity.name, facts.identity.version) == ("crun", "1.8.1")
    assert {k: v.status for k, v in facts.probes.items()} == {
        i: REJECTED if i == "run-keep" else ACCEPTED for i in IDS
    }
    assert facts.probes["run-keep"].evidence == "exit 64: run: unrecognized option '--keep'"
    assert facts.features is None


def test_runc_with_features(box, shell):
    (box.bin / "runc").symlink_to(need(RUNC))
    result = probe(box, shell, candidates=["buildkit-runc", "runc"], where="container c1")
    assert result.runtime.identity.name == "runc"
    assert result.runtime.where == "container c1"
    assert {k: v.status for k, v in result.runtime.probes.items()} == dict.fromkeys(IDS, ACCEPTED)
    assert "ociVersionMin" in result.runtime.features


def test_the_cgroup_mount_and_the_user_come_back_in_the_same_exec(box, shell):
    """What BuildKit beside the runtime sees: the file system at /sys/fs/cgroup (here this
    machine's, the script runs locally) and whom the exec runs as."""
    from runtimecheck.probe import environment

    (box.bin / "runc").symlink_to(need(RUNC))
    result = probe(box, shell, candidates=["runc"])
    seen = result.environment
    assert seen is not None
    assert seen.mount == environment.cgroup_mount(Path("/proc/self/mountinfo").read_text())
    assert seen.uid() == os.geteuid()
    uid_map = Path("/proc/self/uid_map").read_text()
    assert seen.user_namespace() is environment.in_user_namespace(uid_map)
    assert result.runtime.verified  # the record changes nothing else


def test_absolute_candidate_and_none_found(box, shell):
    result = probe(box, shell, candidates=["nope", need(CRUN)])
    assert result.runtime.path == CRUN
    missing = probe(box, shell, candidates=["nope", "/no/such/runc"], read_files=["/etc/hostname"])
    assert missing.runtime.path is None
    assert "no runtime binary found" in missing.runtime.error
    assert missing.runtime.probes == {}
    assert missing.files["/etc/hostname"] is not None  # the rest is still done


def test_files_and_commands(box, shell, tmp_path):
    data = tmp_path / "buildkitd.toml"
    data.write_bytes(b'[worker.oci]\n  binary = "crun"\n\tend\n')
    result = probe(
        box,
        shell,
        candidates=[],
        read_files=[str(data), "/no/such/file", str(tmp_path)],
        commands={
            "echo": ["printf", "%s|", "a b", "$(touch pwned)", "'", '"', "\n"],
            "fails": ["sh", "-c", "echo out; echo err >&2; exit 3"],
            "missing": ["no-such-command-here"],
        },
    )
    assert result.files == {
        str(data): data.read_text(),
        "/no/such/file": None,
        str(tmp_path): None,
    }
    assert result.commands["echo"] == (0, "a b|$(touch pwned)|'|\"|\n|")
    assert result.commands["fails"] == (3, "out\nerr\n")
    assert result.commands["missing"][0] == 127
    assert not list(tmp_path.rglob("pwned"))


def test_arguments_reach_the_runtime_verbatim(box, shell, tmp_path):
    calls = tmp_path / "calls"
    script(
        box.bin / "runc",
        f'for a do printf "%s\\0" "$a"; done >>"{calls}"; echo >>"{calls}"\n'
        'case "$1" in --version) echo "runc version 1.1.5";; *) echo "container does not exist" >&2; exit 1;; esac\n',
    )
    odd = ("a b", "$(touch pwned)", "`touch pwned`", "; touch pwned", "'\"", "x\ny", "*", "{nope}")
    invocations = [SimpleNamespace(id="odd", probe=("--root", "{root}", "state", *odd, "{id}"))]
    result = probe(box, shell, candidates=["runc"], invocations=invocations)
    assert result.runtime.probes["odd"].status == ACCEPTED
    records = calls.read_text().split("\0\n")
    argv = records[1].split("\0")
    assert argv[0] == "--root" and argv[1].startswith(str(box.tmp) + "/")
    assert tuple(argv[2:-1]) == ("state", *odd)
    assert argv[-1].startswith("runtimecheck-probe-")
    assert not list(tmp_path.rglob("pwned"))


def test_a_runtime_that_floods_its_output_is_cut_to_a_bounded_record(box, shell):
    script(
        box.bin / "runc",
        'case "$1" in --version) echo "runc version 1.1.5";; *) exec yes flood;; esac\n',
    )
    result = probe(box, shell, candidates=["runc"], call_timeout=60, timeout=120)
    assert result.runtime.error is None
    assert result.runtime.identity.name == "runc"  # the records after the flood still parse
    # Cut at the cap where it is written: the runtime dies of SIGPIPE, long before its time.
    assert {p.evidence for p in result.runtime.probes.values()} == {
        "printed more than 64 KiB: cut there, no exit status"
    }
    assert {p.exit_code for p in result.runtime.probes.values()} == {-signal.SIGPIPE}


# Runtimes that misbehave, as sh scripts. {hold} sleeps and {flood} prints "y" lines without
# end: programs whose processes the tests can tell apart from everything else.
VERSION = 'case "$1" in --version) echo "runc version 1.1.5"; exit 0;; esac\n'
REFUSE = 'echo "container does not exist" >&2\nexit 1\n'
HOSTILE = {
    "hangs": "{hold} 1000\n",
    "hangs-on-version": 'case "$1" in --version) {hold} 1000;; esac\n' + REFUSE,
    "hangs-after-version": VERSION + "{hold} 1000\n",
    # Children that keep the pipes, that let them go, and one in a session of its own.
    "forks": VERSION
    + "{hold} 1000 &\n"
    + "{hold} 1000 </dev/null >/dev/null 2>&1 &\n"
    + "setsid {hold} 1000 </dev/null >/dev/null 2>&1 &\n"
    + REFUSE,
    "child-floods": VERSION + "{flood} &\nsetsid {flood} &\n" + REFUSE,
    # Megabytes of random bytes (tabs, newlines, NULs) on every call, and into --log.
    "prints-megabytes": 'echo "runc version 1.1.5"\nhead -c 3000000 /dev/urandom\n' + REFUSE,
    "floods-log": 'p=\nfor a do [ "$p" = --log ] && {flood} >>"$a"; p=$a; done\n'
    + VERSION
    + REFUSE,
    "segv-on-keep": 'case "$*" in *--keep*) kill -SEGV $$;; esac\n' + VERSION + REFUSE,
}
# The probe's stated bound: the exec's timeout; each call gets 1 s.
BOUND = 20


def expect_hostile(name, result):
    """What the check makes of each HOSTILE runtime, beyond staying in its bound."""
    facts = result.runtime
    probes = {k: (v.status, v.evidence) for k, v in facts.probes.items()}
    skipped = (UNKNOWN, "not run: an earlier call got no answer in time")
    refused = (ACCEPTED, "exit 1: container does not exist")
    if name in ("hangs", "hangs-on-version"):
        assert facts.error == "no answer to --version within the time limit"
        assert probes == dict.fromkeys(IDS, skipped)
        return
    assert facts.error is None
    assert facts.identity.name == "runc"
    if name == "hangs-after-version":
        assert probes == {
            IDS[0]: (UNKNOWN, "no answer within the time limit"),
            **dict.fromkeys(IDS[1:], skipped),
        }
    elif name == "segv-on-keep":
        assert probes == {**dict.fromkeys(IDS, refused), "run-keep": (UNKNOWN, "killed by SIGSEGV")}
        assert facts.probes["run-keep"].exit_code == -signal.SIGSEGV
    else:
        assert probes == dict.fromkeys(IDS, refused)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_runtime_is_bounded_and_leaves_nothing(box, shell, name):
    need("/usr/bin/setsid")
    (box.bin / "hold").symlink_to(need("/usr/bin/sleep"))
    (box.bin / "flood").symlink_to(need("/usr/bin/yes"))
    body = HOSTILE[name].replace("{hold}", str(box.bin / "hold"))
    script(box.bin / "runc", body.replace("{flood}", str(box.bin / "flood")))
    started = time.monotonic()
    result = probe(box, shell, candidates=["runc"], call_timeout=1, timeout=BOUND)
    assert time.monotonic() - started < BOUND
    expect_hostile(name, result)
    assert processes_running(str(box.bin)) == []
    # The box fixture checks that the private directory is gone.


def test_the_whole_probe_ends_within_the_exec_timeout(box, shell):
    # Each call answers within its own limit, but together they would take 9 s and more.
    script(box.bin / "runc", VERSION + "sleep 1\n" + REFUSE)
    started = time.monotonic()
    result = probe(box, shell, candidates=["runc"], call_timeout=3, timeout=8)
    assert time.monotonic() - started < 8
    assert result.runtime.error is None  # the script ended itself, with its end record
    statuses = [(p.status, p.evidence) for p in result.runtime.probes.values()]
    answered = statuses.count((ACCEPTED, "exit 1: container does not exist"))
    not_run = statuses.count((UNKNOWN, "not run: the time for the whole probe was spent"))
    assert answered >= 1 and not_run >= 1
    # At most the call under way when the time ran out was cut.
    assert answered + not_run >= len(IDS) - 1
    assert result.runtime.features is None


def test_a_runtime_killing_itself_is_no_timeout_and_no_answer(box, shell):
    script(box.bin / "runc", "kill -KILL $$\n")
    result = probe(box, shell, candidates=["runc"])
    assert result.runtime.error == "killed by SIGKILL while answering --version"
    assert not result.runtime.verified


@pytest.mark.parametrize("missing", ["setsid", "mkfifo"])
def test_without_setsid_or_mkfifo_nothing_is_left_either(box, tmp_path, missing):
    # dash, as busybox sh finds its own applets without PATH.
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in (
        "dash",
        "sleep",
        "head",
        "mkfifo",
        "grep",
        "wc",
        "cat",
        "mktemp",
        "mkdir",
        "rm",
        "setsid",
    ):
        if tool != missing:
            (tools / tool).symlink_to(need(f"/usr/bin/{tool}"))
    (box.bin / "hold").symlink_to(need("/usr/bin/sleep"))
    body = HOSTILE["forks"].replace("setsid ", "" if missing == "setsid" else "setsid ")
    script(box.bin / "runc", body.replace("{hold}", str(box.bin / "hold")))
    box.path = f"{box.bin}:{tools}"
    result = probe(box, "dash", candidates=["runc"], call_timeout=1, timeout=BOUND)
    expect_hostile("forks", result)
    assert processes_running(str(box.bin)) == []


def start_script(box, shell, **kw):
    """The probe script on this machine as its own process, for signals to it."""
    argv = script_argv(candidates=["runc"], invocations=BUILDKIT_INVOCATIONS, **kw)
    env = {"PATH": box.path, "TMPDIR": str(box.tmp)}
    return start_interruptible(
        with_shell(shell, argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL])
def test_a_script_killed_mid_call_leaves_nothing(box, shell, sig):
    (box.bin / "hold").symlink_to(need("/usr/bin/sleep"))
    # As "forks", but the runtime does not return either.
    body = HOSTILE["forks"].replace("exit 1\n", "{hold} 1000\n")
    script(box.bin / "runc", body.replace("{hold}", str(box.bin / "hold")))
    proc = start_script(box, shell, call_timeout=60, timeout=120)
    try:
        # All three children and the runtime itself are up.
        wait_for(lambda: len(processes_running(str(box.bin))) >= 4, 30)
        proc.send_signal(sig)
        proc.wait(timeout=30)
        # Without its traps (SIGKILL) the script's timer cleans up at its next tick.
        wait_for(lambda: not processes_running(str(box.bin)) and not list(box.tmp.iterdir()), 10)
    finally:
        proc.kill()
        proc.wait()


def test_no_private_directory_is_an_error(tmp_path, shell):
    transport = local_transport(shell, "/usr/bin:/bin", tmp_path / "missing")
    result = run_in_container(transport, candidates=[need(RUNC)], invocations=BUILDKIT_INVOCATIONS)
    assert result.runtime.error == "mktemp -d failed: no private directory for the probe"
    assert result.runtime.probes == {}


def test_transport_timeout_and_failure():
    def times_out(argv, timeout):
        return None, b"RUNTIMECHECK-PROBE 1\npath\tfound\t9\truncx\n/bin/runc\n", b""

    result = run_in_container(times_out, candidates=["runc"], invocations=BUILDKIT_INVOCATIONS)
    assert result.runtime.path == "/bin/runc"
    assert "did not finish within 20s" in result.runtime.error

    def no_shell(argv, timeout):
        return 126, b"", b'OCI runtime exec failed: exec: "sh": executable file not found\n'

    result = run_in_container(no_shell, candidates=["runc"], invocations=BUILDKIT_INVOCATIONS)
    assert result.runtime.error.startswith("probe script exit 126: OCI runtime exec failed")

    def says_it_on_stdout(argv, timeout):
        return 127, b"sh: not found\n", b""

    result = run_in_container(
        says_it_on_stdout, candidates=["runc"], invocations=BUILDKIT_INVOCATIONS
    )
    assert result.runtime.error == "probe script exit 127: sh: not found"

    def broken(argv, timeout):
        raise ConnectionError("engine went away")

    result = run_in_container(broken, candidates=["runc"], invocations=BUILDKIT_INVOCATIONS)
    assert result.runtime.error == "exec in the container failed: engine went away"


def test_keys_cannot_break_the_record_format():
    with pytest.raises(ValueError):
        script_argv(candidates=["run\nc"], invocations=[])


# --- in a real container ------------------------------------------------------------------


@pytest.fixture
def start(make_container, test_images):
    """Starts a container of one of the local test images (conftest's names)."""

    def start_container(image, *command):
        return make_container(test_images[image], command=list(command) or None)

    return start_container


def container_processes(container):
    """(pid, command line) of what runs in the container, but for the `ps` that lists them
    and zombies (dead, left for the container's init to collect)."""
    listing = container.exec_run(["ps", "-o", "pid,stat,args"]).output.decode()
    rows = [line.split(None, 2) for line in listing.splitlines()[1:]]
    return {(pid, args) for pid, stat, args in rows if not stat.startswith("Z")} - {
        (pid, args) for pid, _, args in rows if args.startswith("ps -o")
    }


@pytest.fixture
def builder(make_container, test_images):
    """A builder-shaped container (buildkitd under docker's init, as buildx runs it) whose
    buildkit-runc is the given sh script."""

    def start_builder(runtime_script):
        container = make_container(test_images["buildkit_v0_12"], init=True, start=False)
        body = runtime_script.replace("{hold}", "sleep").replace("{flood}", "yes")
        put_file(container, "/usr/bin", "buildkit-runc", ("#!/bin/sh\n" + body).encode(), 0o755)
        container.start()
        return container

    return start_builder


@pytest.mark.engine
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_runtime_in_a_builder_is_bounded_and_leaves_nothing(builder, name):
    container = builder(HOSTILE[name])
    before = container_processes(container)
    started = time.monotonic()
    result = run_in_container(
        docker_exec_transport(container),
        candidates=["buildkit-runc", "runc"],
        invocations=BUILDKIT_INVOCATIONS,
        call_timeout=1,
        timeout=BOUND,
    )
    assert time.monotonic() - started < BOUND
    assert result.runtime.path == "/usr/bin/buildkit-runc"
    expect_hostile(name, result)
    assert container_processes(container) == before
    assert container.exec_run(["ls", "-A", "/tmp"]).output == b""


@pytest.mark.engine
def test_in_a_container_through_the_sdk(start):
    container = start("runtimes", "sleep", "600")
    transport = docker_exec_transport(container)
    crun = run_in_container(transport, candidates=["crun"], invocations=BUILDKIT_INVOCATIONS)
    assert (crun.runtime.path, crun.runtime.identity.name) == ("/usr/bin/crun", "crun")
    assert {k: v.status for k, v in crun.runtime.probes.items()} == {
        i: REJECTED if i == "run-keep" else ACCEPTED for i in IDS
    }
    runc = run_in_container(
        transport,
        candidates=["buildkit-runc", "runc"],
        invocations=BUILDKIT_INVOCATIONS,
        read_files=["/etc/passwd", "/etc/buildkit/buildkitd.toml"],
        commands={"id": ["id", "-u"]},
    )
    assert (runc.runtime.path, runc.runtime.identity.name) == ("/usr/sbin/runc", "runc")
    assert {k: v.status for k, v in runc.runtime.probes.items()} == dict.fromkeys(IDS, ACCEPTED)
    assert "ociVersionMin" in runc.runtime.features
    assert runc.files["/etc/passwd"].startswith("root:")
    assert runc.files["/etc/buildkit/buildkitd.toml"] is None
    assert runc.commands["id"] == (0, "0\n")
    assert container.exec_run(["ls", "-A", "/tmp"]).output == b""  # nothing left behind


@pytest.mark.engine
def test_crun_as_runc_image_through_docker_exec(start):
    container = start("crun_as_runc")
    result = run_in_container(
        command_transport(["docker", "exec", container.id]),
        candidates=["buildkit-runc", "runc"],
        invocations=BUILDKIT_INVOCATIONS,
        commands={"buildkitd": ["buildkitd", "--version"]},
        where=f"container {container.name}",
    )
    facts = result.runtime
    assert facts.path == "/usr/bin/buildkit-runc"
    assert (facts.identity.name, facts.identity.version) == ("crun", "1.8.1")
    assert facts.probes["run-keep"].status == REJECTED
    assert result.commands["buildkitd"][0] == 0
    assert result.commands["buildkitd"][1].startswith("buildkitd github.com/moby/buildkit v0.12.5")


@pytest.mark.engine
def test_a_stopped_container_is_a_finding(start):
    container = start("runtimes", "true")
    container.wait(timeout=30)
    result = run_in_container(
        docker_exec_transport(container), candidates=["runc"], invocations=BUILDKIT_INVOCATIONS
    )
    assert result.runtime.error.startswith("exec in the container failed")
    assert "is not running" in result.runtime.error  # the daemon's words, not an HTTP dump
    assert "http" not in result.runtime.error.lower()


@pytest.mark.engine
def test_an_exec_that_never_ends_is_abandoned_at_the_timeout(start):
    container = start("runtimes", "sleep", "600")
    transport = docker_exec_transport(container)
    started = time.monotonic()
    assert transport(["sleep", "60"], 1.0) == (None, b"", b"")
    assert time.monotonic() - started < 10
