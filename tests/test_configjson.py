"""config.json edits: everything else kept, atomic, backed up, malformed files refused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from runtimecheck import configjson
from runtimecheck.configjson import ABSENT
from runtimecheck.errors import EXIT_USAGE, RuntimecheckError, UsageError

USER_CONFIG = """{
    "auths": {
        "https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"},
        "ghcr.io": {}
    },
    "credsStore": "desktop",
    "currentContext": "colima",
    "plugins": {"debug": {"hooks": "exec"}},
    "aliases": {},
    "psFormat": "table {{.ID}}\\t{{.Names}} <&> é"
}
"""


def write_config(directory: Path, text: str = USER_CONFIG, mode: int = 0o600) -> Path:
    path = directory / "config.json"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def set_alias(data: dict) -> None:
    configjson.put(data, ("aliases", "builder"), "runtimecheck")


def test_edit_keeps_every_other_key_their_order_and_the_file_mode(tmp_path: Path) -> None:
    path = write_config(tmp_path, mode=0o640)
    before = json.loads(USER_CONFIG)

    assert configjson.edit(tmp_path, set_alias)

    after = json.loads(path.read_text(encoding="utf-8"))
    assert after.pop("aliases") == {"builder": "runtimecheck"}
    before.pop("aliases")
    assert after == before
    assert list(json.loads(path.read_text())) == list(json.loads(USER_CONFIG))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text().startswith('{\n    "auths"')  # the file's own indent


def test_edit_writes_the_previous_content_as_backup(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    configjson.edit(tmp_path, set_alias)
    backup = tmp_path / "config.json.runtimecheck.bak"
    assert backup.read_text(encoding="utf-8") == USER_CONFIG
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds credentials too
    assert path.read_text() != USER_CONFIG


def test_edit_without_a_change_writes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert not configjson.edit(tmp_path, lambda data: None)
    assert path.read_text() == USER_CONFIG
    assert not (tmp_path / "config.json.runtimecheck.bak").exists()


def test_edit_creates_a_missing_config_private(tmp_path: Path) -> None:
    assert configjson.edit(tmp_path, set_alias)
    path = tmp_path / "config.json"
    assert json.loads(path.read_text()) == {"aliases": {"builder": "runtimecheck"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"a": 1'])
def test_a_malformed_config_is_refused_and_left_alone(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        configjson.edit(tmp_path, set_alias)
    assert caught.value.exit_code == EXIT_USAGE
    assert str(path) in caught.value.message
    assert path.read_text() == text


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_write_failing_midway_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = write_config(tmp_path)
    real = getattr(os, failing)

    def fail_on_config(*args, **kwargs):
        if failing == "fsync" or str(args[1]).endswith("config.json"):
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, failing, fail_on_config)
    with pytest.raises(RuntimecheckError) as caught:
        configjson.edit(tmp_path, set_alias)
    assert "left as it was" in caught.value.message
    assert path.read_text() == USER_CONFIG
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_an_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        configjson.edit(tmp_path, set_alias)
    assert path.read_text() == USER_CONFIG
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_symlinked_config_is_edited_through_the_link(tmp_path: Path) -> None:
    real_dir = tmp_path / "dotfiles"
    real_dir.mkdir()
    target = write_config(real_dir)
    (tmp_path / "config.json").symlink_to(target)

    configjson.edit(tmp_path, set_alias)

    assert (tmp_path / "config.json").is_symlink()
    assert json.loads(target.read_text())["aliases"] == {"builder": "runtimecheck"}


def test_a_config_changed_by_someone_else_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    path = write_config(tmp_path)

    def change(data: dict) -> None:
        set_alias(data)
        path.write_text('{"credsStore": "pass"}')

    with pytest.raises(RuntimecheckError):
        configjson.edit(tmp_path, change)
    assert path.read_text() == '{"credsStore": "pass"}'


def test_put_reports_the_parents_it_made_and_prune_removes_only_empty_ones() -> None:
    data: dict = {"plugins": {"debug": {"hooks": "exec"}}}
    created = configjson.put(data, ("plugins", "runtimecheck", "hooks"), "build")
    assert created == ["plugins.runtimecheck"]
    configjson.put(data, ("plugins", "runtimecheck", "hooks"), ABSENT)
    assert configjson.prune(data, "plugins.runtimecheck")
    assert not configjson.prune(data, "plugins")
    assert data == {"plugins": {"debug": {"hooks": "exec"}}}
    assert configjson.get(data, ("plugins", "nope", "x")) is ABSENT
