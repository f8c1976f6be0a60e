"""The verdict cache: what it keeps, what invalidates it, and that it never gets in the way."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from runtimecheck.facts import BLOCK, PASS, VERDICT_UNKNOWN, WARN
from runtimecheck.preflight import cache
from runtimecheck.preflight import witnesses as warm
from runtimecheck.preflight.cache import MAX_ENTRIES, VerdictCache
from support.engine_api import engine_api

ENV = {"HOME": "/home/u", "DOCKER_HOST": "unix:///var/run/docker.sock"}
SEEN = [["file", "/nonexistent/instances/rc", None]]


def key(builder: str = "rc", flags: tuple = ("--config", "/c"), cwd: str = "/src", **env) -> str:
    return warm.cache_key(list(flags), builder, env={**ENV, **env}, cwd=cwd)


@pytest.fixture
def store(tmp_path: Path) -> VerdictCache:
    return VerdictCache(tmp_path / "cache")


def test_pass_and_warn_are_kept_with_their_lines_and_witnesses(store: VerdictCache) -> None:
    store.put(key(), PASS, witnesses=SEEN)
    store.put(key(builder="other"), WARN, ["node rc0: `exec` rejected"], SEEN)
    assert store.get(key()).verdict == PASS
    hit = store.get(key(builder="other"))
    assert (hit.verdict, hit.lines, hit.witnesses) == (WARN, ["node rc0: `exec` rejected"], SEEN)


def test_nothing_is_kept_without_witnesses(store: VerdictCache) -> None:
    store.put(key(), PASS, witnesses=[])
    assert store.get(key()) is None


@pytest.mark.parametrize("verdict", [BLOCK, VERDICT_UNKNOWN])
def test_block_and_unknown_are_not_kept_and_drop_an_older_pass(
    store: VerdictCache, verdict: str
) -> None:
    store.put(key(), PASS, witnesses=SEEN)
    store.put(key(), verdict, witnesses=SEEN)
    assert store.get(key()) is None


@pytest.mark.parametrize(
    "change",
    [
        {"builder": "other"},
        {"flags": ("--context", "prod")},
        {"cwd": "/elsewhere"},  # another project's .runtimecheck.toml
        {"BUILDX_BUILDER": "b"},
        {"BUILDX_CONFIG": "/x"},
        {"DOCKER_CONTEXT": "prod"},
        {"DOCKER_HOST": "tcp://h:2376"},
        {"RUNTIMECHECK_IGNORE": "run-keep"},
        {"RUNTIMECHECK_FAIL_ON": "warn"},
    ],
)
def test_every_part_of_the_key_matters(store: VerdictCache, change: dict) -> None:
    store.put(key(), PASS, witnesses=SEEN)
    assert store.get(key(**change)) is None


def test_the_plugin_version_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    first = key()
    monkeypatch.setattr(warm, "__version__", "9.9.9")
    assert key() != first


def test_the_verdicts_kept_are_those_of_facts() -> None:
    assert cache.CACHEABLE == (PASS, WARN)


def test_only_the_most_recent_entries_are_kept(store: VerdictCache) -> None:
    for i in range(MAX_ENTRIES + 5):
        store.put(key(builder=f"b{i}"), PASS, witnesses=SEEN)
    assert store.get(key(builder="b0")) is None
    assert store.get(key(builder=f"b{MAX_ENTRIES + 4}")) is not None
    data = json.loads(Path(store.path).read_text())
    assert len(data["entries"]) == MAX_ENTRIES


def test_an_old_entry_is_not_trusted(store: VerdictCache) -> None:
    store.put(key(), PASS, witnesses=SEEN)
    data = json.loads(Path(store.path).read_text())
    data["entries"][0]["time"] = time.time() - cache.MAX_AGE_S - 1
    Path(store.path).write_text(json.dumps(data))
    assert store.get(key()) is None


@pytest.mark.parametrize(
    "content", ["{broken", "[]", '{"format": 1, "entries": {}}', '{"format": 99, "entries": []}']
)
def test_a_corrupt_cache_is_ignored_and_replaced(store: VerdictCache, content: str) -> None:
    Path(store.directory).mkdir(parents=True)
    Path(store.path).write_text(content)
    assert store.get(key()) is None
    assert store.put(key(), PASS, witnesses=SEEN)
    assert store.get(key()).verdict == PASS


def test_a_bad_entry_among_good_ones_is_dropped(store: VerdictCache) -> None:
    store.put(key(), PASS, witnesses=SEEN)
    data = json.loads(Path(store.path).read_text())
    data["entries"].insert(0, {"key": 3, "verdict": "pass"})
    Path(store.path).write_text(json.dumps(data))
    assert store.get(key()).verdict == PASS


def test_a_cache_file_that_cannot_be_replaced_means_no_cache_not_an_error(
    store: VerdictCache,
) -> None:
    # A directory that is not empty where the file belongs: no rename replaces it, as root
    # neither (which writes through any permission bits).
    (Path(store.path) / "occupied").mkdir(parents=True)
    assert store.put(key(), PASS, witnesses=SEEN) is False
    assert store.get(key()) is None
    assert os.listdir(store.directory) == ["preflight.json"]  # no temporary file left


def test_a_directory_that_cannot_exist_means_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = VerdictCache(blocker / "docker-runtimecheck")
    assert store.put(key(), PASS, witnesses=SEEN) is False
    assert store.get(key()) is None


def test_the_location_follows_xdg_cache_home(tmp_path: Path) -> None:
    default = str(Path.home() / ".cache" / "docker-runtimecheck")
    assert cache.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == str(
        tmp_path / "docker-runtimecheck"
    )
    assert cache.cache_dir({"XDG_CACHE_HOME": "relative"}) == default
    assert cache.cache_dir({}) == default


def test_writes_leave_no_temporary_files(store: VerdictCache) -> None:
    for i in range(3):
        store.put(key(builder=f"b{i}"), PASS, witnesses=SEEN)
    assert os.listdir(store.directory) == ["preflight.json"]


# --- what makes an entry, and what a write leaves behind ---------------------------------------


GOOD = {"key": "k", "verdict": "pass", "lines": ["a"], "witnesses": SEEN, "time": 0.0}


@pytest.mark.parametrize(
    "entry",
    [
        5,
        "entry",
        {**GOOD, "key": 5},
        {**GOOD, "verdict": "block"},
        {**GOOD, "lines": "a"},
        {**GOOD, "lines": [1]},
        {**GOOD, "witnesses": "file"},
        {**GOOD, "time": "now"},
    ],
)
def test_an_entry_missing_any_part_is_dropped(store: VerdictCache, entry: object) -> None:
    good = {**GOOD, "key": key(), "time": time.time()}
    Path(store.directory).mkdir(parents=True)
    Path(store.path).write_text(json.dumps({"format": cache.FORMAT, "entries": [entry, good]}))
    hit = store.get(key())
    assert hit is not None and (hit.verdict, hit.lines) == (PASS, ["a"])
    assert store.put(key(builder="other"), PASS, witnesses=SEEN)
    kept = json.loads(Path(store.path).read_text())["entries"]
    assert [e["key"] for e in kept] == [key(), key(builder="other")]


def test_the_cache_directory_is_private(tmp_path: Path) -> None:
    store = VerdictCache(tmp_path / "cache")
    assert store.put(key(), PASS, witnesses=SEEN)
    assert Path(store.directory).stat().st_mode & 0o777 == 0o700


def test_a_write_goes_through_a_hidden_file_beside_the_cache(
    store: VerdictCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Renamed into place from the same directory (atomic), under a name no reader takes
    # for the cache, should the process die before the rename.
    renamed = []
    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        renamed.append((os.path.dirname(source), os.path.basename(source), target))
        real_replace(source, target)

    monkeypatch.setattr(cache.os, "replace", replace)
    assert store.put(key(), PASS, witnesses=SEEN)
    [(directory, name, target)] = renamed
    assert (directory, target) == (store.directory, store.path)
    assert name.startswith(".preflight.") and name.endswith(".tmp")


def test_a_temporary_file_that_vanished_is_no_error(
    store: VerdictCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace(source: str, target: str) -> None:
        os.unlink(source)
        raise OSError("gone")

    monkeypatch.setattr(cache.os, "replace", replace)
    assert store.put(key(), PASS, witnesses=SEEN) is False
    assert os.listdir(store.directory) == []


def test_the_key_tells_every_spelling_of_builder_and_platform_apart() -> None:
    keys = [
        warm.cache_key([], None, None, env={}, cwd="/"),
        warm.cache_key([], "", None, env={}, cwd="/"),
        warm.cache_key([], "-", None, env={}, cwd="/"),
        warm.cache_key([], None, [], env={}, cwd="/"),
        warm.cache_key([], None, ["-"], env={}, cwd="/"),
        warm.cache_key([], None, ["a", "b"], env={}, cwd="/"),
        warm.cache_key([], None, ["a\x1fb"], env={}, cwd="/"),
        warm.cache_key([], None, None, env={"HOME": ""}, cwd="/"),
    ]
    assert len(set(keys)) == len(keys) - 2  # ["a", "b"] and "a\x1fb" are the same; so is HOME=""
    assert keys[5] == keys[6]
    parts = keys[5].split("\x1e")
    assert parts[1:5] == ["/", "-", "=a\x1fb", ""]
    assert parts[5:] == [f"{name}=" for name in warm.KEY_ENV]


# --- the witnesses ------------------------------------------------------------------------------


def test_process_start_is_the_22nd_field_after_the_command(tmp_path: Path) -> None:
    stat = tmp_path / "42" / "stat"
    stat.parent.mkdir()
    # The command may hold ") " and spaces; the fields after the last ")" are counted.
    fields = " ".join(str(n) for n in range(4, 23))  # field 3 is the state
    stat.write_bytes(b"42 (a) b) c\xff) S " + fields.encode() + b" 99 100\n")
    assert warm.process_start(42, proc=str(tmp_path)) == 22
    assert warm.process_start(43, proc=str(tmp_path)) is None
    stat.write_text("42 (a) S 1 2\n")
    assert warm.process_start(42, proc=str(tmp_path)) is None


@pytest.mark.parametrize(
    "witness",
    [
        [],
        "file",
        ["file", "/x"],
        ["unknown", 1, 2],
        ["process", os.getpid(), None],
        ["container", "/s", "c"],
        ["container", "/s", "c", None],
        ["container-path", "/s", "c", "/p"],
        ["container-path", "/s", "c", "/p", None],
    ],
)
def test_a_witness_that_cannot_be_checked_is_not_true(witness: object) -> None:
    assert warm.still_true([witness]) is False


def test_file_exists_and_process_witnesses(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    seen = [warm.file_witness(str(path)), warm.exists_witness(str(tmp_path / "absent")),
            warm.process_witness(os.getpid(), warm.process_start(os.getpid()))]  # fmt: skip
    assert warm.still_true(seen)
    (tmp_path / "absent").write_text("")
    assert not warm.still_true(seen)
    assert not warm.still_true([[*warm.exists_witness(str(path))[:2], False]])
    assert not warm.still_true([warm.process_witness(os.getpid(), 1)])


def test_container_witnesses_ask_the_daemon_once_for_all(tmp_path: Path) -> None:
    with engine_api(tmp_path / "docker.sock") as api:
        sock = api.socket_path
        api.containers["b0"] = {"Id": "1d", "State": {"StartedAt": "t1", "Running": True}}
        api.paths[("b0", "/usr/bin/runc")] = {"name": "runc", "size": 1, "mode": 493,
                                             "mtime": "t", "linkTarget": ""}  # fmt: skip
        seen = [warm.container_witness(sock, "b0"), warm.container_witness(sock, "gone"),
                warm.container_path_witness(sock, "b0", "/usr/bin/runc"),
                warm.container_path_witness(sock, "b0", "/usr/bin/crun")]  # fmt: skip
        assert [w[-1] for w in seen] == [
            ["1d", "t1", True], ["absent"], ["runc", 1, 493, "t", ""], ["absent"]
        ]  # fmt: skip
        api.asked.clear()
        assert warm.still_true(seen)
        assert sorted(api.asked) == [
            ("GET", "/containers/b0/json"), ("GET", "/containers/gone/json"),
            ("HEAD", "/containers/b0/archive?path=/usr/bin/crun"),
            ("HEAD", "/containers/b0/archive?path=/usr/bin/runc"),
        ]  # fmt: skip
        api.containers["b0"]["State"]["StartedAt"] = "t2"  # restarted
        assert not warm.still_true(seen)
        api.containers["b0"]["State"]["StartedAt"] = "t1"
        api.paths[("b0", "/usr/bin/runc")]["size"] = 2  # the runtime was replaced
        assert not warm.still_true(seen)
        api.paths[("b0", "/usr/bin/runc")]["size"] = 1
        api.paths[("b0", "/usr/bin/crun")] = {"name": "crun", "size": 1, "mode": 493}
        assert not warm.still_true(seen)  # a runtime appeared
    assert not warm.still_true(seen[:1])  # no daemon: nothing is known


def test_a_witness_of_an_unknown_kind_never_holds_whatever_its_values() -> None:
    # Even shaped like a process witness that would hold.
    pid = os.getpid()
    assert warm.still_true([warm.process_witness(pid, warm.process_start(pid))])
    assert not warm.still_true([["bogus", pid, warm.process_start(pid)]])


def test_the_cache_is_utf8_whatever_the_locale(store: VerdictCache) -> None:
    import locale

    store.put(key(), WARN, ["builder café: `run --keep` … rejected"], SEEN)
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale, as a bare container has
    try:
        hit = store.get(key())
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert hit is not None and hit.lines == ["builder café: `run --keep` … rejected"]


def test_an_entry_is_trusted_for_a_week_to_the_second(
    store: VerdictCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(cache.time, "time", lambda: now)
    store.put(key(), PASS, witnesses=SEEN)
    monkeypatch.setattr(cache.time, "time", lambda: now + cache.MAX_AGE_S)
    assert store.get(key()) is not None
    monkeypatch.setattr(cache.time, "time", lambda: now + cache.MAX_AGE_S + 1)
    assert store.get(key()) is None
