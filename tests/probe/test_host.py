from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from runtimecheck.facts import ACCEPTED, REJECTED, UNKNOWN
from runtimecheck.probe.host import probe_binary, which
from support.runtimes import (
    BUILDKIT_INVOCATIONS,
    CRUN,
    IDS,
    RUNC,
    need,
    processes_running,
    script,
)


def statuses(facts):
    return {k: v.status for k, v in facts.probes.items()}


def test_debian_crun_refuses_keep_and_nothing_else(private_tmp):
    facts = probe_binary(need(CRUN), BUILDKIT_INVOCATIONS)
    assert facts.error is None and facts.verified
    assert (facts.identity.name, facts.identity.version) == ("crun", "1.8.1")
    assert statuses(facts) == {i: REJECTED if i == "run-keep" else ACCEPTED for i in IDS}
    keep = facts.probes["run-keep"]
    assert keep.exit_code == 64
    assert keep.evidence == "exit 64: run: unrecognized option '--keep'"
    assert keep.argv[:2] == ("--root", keep.argv[1]) and "--keep" in keep.argv
    assert facts.features is None  # crun 1.8.1 has no `features`


def test_debian_runc_accepts_everything(private_tmp):
    facts = probe_binary(need(RUNC), BUILDKIT_INVOCATIONS)
    assert facts.error is None
    assert (facts.identity.name, facts.identity.version) == ("runc", "1.1.5+ds1")
    assert statuses(facts) == dict.fromkeys(IDS, ACCEPTED)
    assert facts.features is not None and "ociVersionMin" in facts.features


@pytest.mark.parametrize("name", ["runc", "buildkit-runc"])
def test_crun_under_a_runc_name_is_crun(tmp_path, private_tmp, name):
    copy = tmp_path / name
    shutil.copy(need(CRUN), copy)
    facts = probe_binary(str(copy), BUILDKIT_INVOCATIONS)
    assert facts.identity.name == "crun"
    assert facts.path == str(copy)
    assert facts.probes["run-keep"].status == REJECTED


def test_crun_symlinked_as_runc_is_crun(tmp_path, private_tmp):
    link = tmp_path / "runc"
    link.symlink_to(need(CRUN))
    facts = probe_binary(str(link), BUILDKIT_INVOCATIONS)
    assert facts.identity.name == "crun"
    assert facts.probes["run-keep"].status == REJECTED


def test_a_hanging_binary_ends_within_its_timeout(tmp_path, private_tmp):
    sleeper = script(tmp_path / "sleeper", "exec sleep 1000\n")
    started = time.monotonic()
    facts = probe_binary(sleeper, BUILDKIT_INVOCATIONS, timeout=1)
    assert time.monotonic() - started < 30
    assert "no answer to --version" in facts.error
    assert not facts.verified
    assert not processes_running(sleeper)


def test_a_runtime_that_hangs_on_probes_costs_one_timeout(tmp_path, private_tmp):
    calls = tmp_path / "calls"
    body = (
        f'echo "$*" >>{calls}\n'
        'case "$1" in --version) echo "runc version 1.1.5";; *) exec sleep 1000;; esac\n'
    )
    hangs = script(tmp_path / "hangs", body)
    started = time.monotonic()
    facts = probe_binary(hangs, BUILDKIT_INVOCATIONS, timeout=1)
    assert time.monotonic() - started < 30
    assert len(calls.read_text().splitlines()) == 2  # --version, the first probe; no features
    assert facts.features is None
    assert facts.identity.name == "runc"
    assert statuses(facts) == dict.fromkeys(IDS, UNKNOWN)
    assert facts.probes[IDS[0]].evidence == "no answer within the time limit"
    assert facts.probes[IDS[1]].evidence.startswith("not run")
    assert not processes_running(hangs)


def test_a_binary_killed_by_a_signal(tmp_path, private_tmp):
    facts = probe_binary(script(tmp_path / "dies", "kill -KILL $$\n"), BUILDKIT_INVOCATIONS)
    assert "killed by SIGKILL" in facts.error


def test_a_binary_printing_random_bytes(tmp_path, private_tmp):
    noisy = script(tmp_path / "noisy", "head -c 3000 /dev/urandom\n")
    facts = probe_binary(noisy, BUILDKIT_INVOCATIONS)
    assert facts.error is None
    assert facts.identity.name is None and facts.identity.raw
    assert statuses(facts) == dict.fromkeys(IDS, UNKNOWN)
    assert all(p.evidence.isprintable() for p in facts.probes.values())


def test_unusable_paths_are_findings(tmp_path, private_tmp):
    loop_a, loop_b = tmp_path / "loop-a", tmp_path / "loop-b"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    cases = {
        str(tmp_path / "missing"): "No such file",
        str(tmp_path): "is a directory",
        str(loop_a): "symbolic links",
        script(tmp_path / "plain", "echo runc version 1.1.5\n", mode=0o644): "not executable",
    }
    for path, words in cases.items():
        facts = probe_binary(path, BUILDKIT_INVOCATIONS)
        assert words in facts.error, path
        assert facts.probes == {} and not facts.verified


def test_a_file_that_is_no_program(tmp_path, private_tmp):
    garbage = tmp_path / "garbage"
    garbage.write_bytes(os.urandom(512).replace(b"#!", b"xx"))
    garbage.chmod(0o755)
    facts = probe_binary(str(garbage), BUILDKIT_INVOCATIONS)
    assert facts.error.startswith("cannot be executed")


def test_shell_metacharacters_in_the_path_are_data(tmp_path, private_tmp, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = tmp_path / "a b $(touch pwned); `touch pwned2` 'q\" x"
    odd.mkdir()
    (odd / "runc").symlink_to(need(CRUN))
    facts = probe_binary(str(odd / "runc"), BUILDKIT_INVOCATIONS)
    assert facts.identity.name == "crun"
    assert facts.probes["run-keep"].status == REJECTED
    assert not list(tmp_path.rglob("pwned*"))


def test_every_call_stays_in_a_private_state_dir(tmp_path, private_tmp):
    calls = tmp_path / "calls"
    recorder = script(
        tmp_path / "recorder",
        f'for a do printf "%s\\0" "$a"; done >>"{calls}"; echo >>"{calls}"\n'
        'case "$1" in --version) echo "runc version 1.1.5";; *) echo "container does not exist" >&2; exit 1;; esac\n',
    )
    facts = probe_binary(recorder, BUILDKIT_INVOCATIONS)
    assert statuses(facts) == dict.fromkeys(IDS, ACCEPTED)
    argvs = [line.split("\0")[:-1] for line in calls.read_text().splitlines()]
    assert argvs[0] == ["--version"]
    probes = argvs[1:]
    assert len(probes) == len(IDS) + 1  # and `features`
    roots = {argv[argv.index("--root") + 1] for argv in probes}
    assert len(roots) == 1
    root = Path(roots.pop())
    assert root.parent.parent == private_tmp and not root.exists()
    ids = {argv[-1] for argv in probes if argv[-1].startswith("runtimecheck-probe-")}
    assert len(ids) == 1
    assert all("{" not in a for argv in probes for a in argv)
    for argv in probes:
        if "--bundle" in argv:
            assert not Path(argv[argv.index("--bundle") + 1]).exists()
    assert facts.probes["run-keep"].argv == tuple(probes[IDS.index("run-keep")])


def test_a_probe_without_root_gets_a_private_one(tmp_path, private_tmp):
    calls = tmp_path / "calls"
    recorder = script(tmp_path / "recorder", f'echo "$@" >>"{calls}"; exit 1\n')
    probe_binary(recorder, [SimpleNamespace(id="state", probe=("state", "{id}"))])
    state_call = calls.read_text().splitlines()[1]
    assert state_call.startswith(f"--root {private_tmp}/")


def test_which(tmp_path):
    first, second, empty = tmp_path / "first", tmp_path / "second", tmp_path / "empty"
    for d in (first, second, empty):
        d.mkdir()
    script(first / "runc", "", mode=0o644)  # not executable: skipped
    script(second / "runc", "")
    (first / "crun").mkdir()  # a directory: skipped
    path_env = f"{empty}::{first}:{second}"
    assert which("runc", path_env) == str(second / "runc")
    assert which("crun", path_env) is None
    assert which(str(second / "runc"), "") == str(second / "runc")
    assert which(str(first / "runc"), path_env) is None
    assert which("runc", "") is None
