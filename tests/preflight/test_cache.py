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
