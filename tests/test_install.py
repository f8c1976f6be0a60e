"""install / uninstall: the plugin file, and exactly the config.json keys install changed."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from runtimecheck import install as installer
from runtimecheck import launch
from runtimecheck.dockercli import DockerConfig, Endpoint, GlobalOptions
from runtimecheck.errors import EXIT_USAGE, RuntimecheckError, UsageError

USER_CONFIG = {
    "auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}, "ghcr.io": {}},
    "credsStore": "desktop",
    "currentContext": "colima",
    "plugins": {"debug": {"hooks": "exec"}},
    "aliases": {},
    "features": {"containerd-snapshotter": "true"},
}
METADATA_SCRIPT = """#!/bin/sh
echo '{"SchemaVersion":"0.1.0","Vendor":"test","Version":"0","ShortDescription":"x"}'
"""


def make_cfg(directory: Path) -> DockerConfig:
    return DockerConfig(
        GlobalOptions(), directory, {}, Endpoint(context="default", host="unix:///x")
    )


@pytest.fixture
def cfg(tmp_path: Path) -> DockerConfig:
    directory = tmp_path / "docker"
    directory.mkdir()
    return make_cfg(directory)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "docker-runtimecheck.pyz"
    path.write_text(METADATA_SCRIPT)
    return path


def write_config(cfg: DockerConfig, data: dict) -> Path:
    path = cfg.directory / "config.json"
    path.write_text(json.dumps(data, indent="\t"))
    path.chmod(0o600)
    return path


def read_config(cfg: DockerConfig) -> dict:
    return json.loads((cfg.directory / "config.json").read_text())


def plugin(cfg: DockerConfig) -> Path:
    return cfg.directory / "cli-plugins" / "docker-runtimecheck"


def config_json_cannot_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing config.json fails (EIO), after everything before it went well."""
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith("config.json"):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


# --- the plugin file ----------------------------------------------------------------------------


def test_install_copies_the_source_as_an_executable_plugin(cfg: DockerConfig, source: Path) -> None:
    lines = installer.install(cfg, source=source)
    assert plugin(cfg).read_bytes() == source.read_bytes()
    assert stat.S_IMODE(plugin(cfg).stat().st_mode) == 0o755
    assert any(str(plugin(cfg)) in line for line in lines)
    assert not any(line.startswith("warning") for line in lines)
    assert not (cfg.directory / "config.json").exists()  # nothing asked of config.json


def test_install_from_a_zipapp_copies_the_running_archive(
    cfg: DockerConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "dist" / "docker-runtimecheck"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("__main__.py", "print('hi')\n")
    # The launcher names the archive; argv[0] (here: something else entirely) is never asked.
    monkeypatch.setattr(launch, "archive", str(archive))
    monkeypatch.setattr(sys, "argv", ["python3", "-c"])
    origin, content = installer.plugin_content(None, plugin(cfg))
    assert content == archive.read_bytes()
    assert str(archive) in origin


def test_the_running_plugin_is_not_replaced_by_a_copy_of_itself(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installer.install(cfg, source=source)
    monkeypatch.setattr(launch, "archive", str(plugin(cfg)))
    before = plugin(cfg).stat()
    lines = installer.install(cfg, alias_build=True)
    assert any("already in place" in line for line in lines)
    assert plugin(cfg).stat().st_ino == before.st_ino
    assert read_config(cfg) == {"aliases": {"builder": "runtimecheck"}}


def test_installed_with_pip_the_plugin_runs_the_console_script_by_absolute_path(
    cfg: DockerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launch, "archive", None)
    script = installer.installed_console_script(plugin(cfg))
    assert script is not None and script.is_absolute()
    installer.install(cfg)
    text = plugin(cfg).read_text()
    assert text.startswith("#!/bin/sh\n")
    assert f'exec {script} "$@"' in text
    assert os.access(plugin(cfg), os.X_OK)


def test_the_shim_quotes_paths_with_spaces() -> None:
    assert b"exec '/opt/my tools/docker-runtimecheck' \"$@\"" in installer.shim(
        Path("/opt/my tools/docker-runtimecheck")
    )


def test_a_plugins_directory_that_cannot_be_made_is_a_clear_error(
    cfg: DockerConfig, source: Path
) -> None:
    (cfg.directory / "cli-plugins").write_text("not a directory")
    with pytest.raises(RuntimecheckError) as caught:
        installer.install(cfg, source=source)
    assert caught.value.exit_code == EXIT_USAGE
    assert "cli-plugins" in caught.value.message


def test_a_plugin_that_cannot_be_replaced_is_a_clear_error_and_leaves_nothing_behind(
    cfg: DockerConfig, source: Path
) -> None:
    # In the plugin's place a directory that is not empty: no rename can replace it, as root
    # neither (which writes through any permission bits).
    occupied = plugin(cfg)
    (occupied / "keep").mkdir(parents=True)
    with pytest.raises(RuntimecheckError) as caught:
        installer.install(cfg, source=source)
    assert caught.value.exit_code == EXIT_USAGE
    assert str(occupied) in caught.value.message
    assert "left as it was" in caught.value.message
    assert (occupied / "keep").is_dir()
    assert sorted(p.name for p in occupied.parent.iterdir()) == ["docker-runtimecheck"]


# --- config.json --------------------------------------------------------------------------------


def test_alias_build_sets_the_builder_alias_and_uninstall_removes_only_that(
    cfg: DockerConfig, source: Path
) -> None:
    path = write_config(cfg, USER_CONFIG)
    before = path.read_text()
    lines = installer.install(cfg, alias_build=True, source=source)
    config = read_config(cfg)
    assert config["aliases"] == {"builder": "runtimecheck"}
    assert {k: v for k, v in config.items() if k != "aliases"} == {
        k: v for k, v in USER_CONFIG.items() if k != "aliases"
    }
    assert list(config) == list(USER_CONFIG)
    assert (cfg.directory / "config.json.runtimecheck.bak").read_text() == before
    assert any("config.json.runtimecheck.bak" in line for line in lines)

    installer.uninstall(cfg)
    assert read_config(cfg) == USER_CONFIG
    assert not plugin(cfg).exists()
    assert not (cfg.directory / "runtimecheck").exists()


def test_hooks_register_the_commands_and_enable_hooks_then_go_away(
    cfg: DockerConfig, source: Path
) -> None:
    write_config(cfg, USER_CONFIG)
    installer.install(cfg, hooks=True, source=source)
    config = read_config(cfg)
    assert config["plugins"] == {
        "debug": {"hooks": "exec"},
        "runtimecheck": {"hooks": "build,buildx build"},
    }
    assert config["features"] == {"containerd-snapshotter": "true", "hooks": "true"}

    installer.uninstall(cfg)
    assert read_config(cfg) == USER_CONFIG


def test_keys_install_had_to_create_are_removed_again(cfg: DockerConfig, source: Path) -> None:
    write_config(cfg, {"credsStore": "pass"})
    installer.install(cfg, alias_build=True, hooks=True, source=source)
    assert set(read_config(cfg)) == {"credsStore", "aliases", "plugins", "features"}
    installer.uninstall(cfg)
    assert read_config(cfg) == {"credsStore": "pass"}


def test_another_builder_alias_is_not_overwritten_and_nothing_is_installed(
    cfg: DockerConfig, source: Path
) -> None:
    path = write_config(cfg, {**USER_CONFIG, "aliases": {"builder": "buildx"}})
    before = path.read_text()
    with pytest.raises(UsageError) as caught:
        installer.install(cfg, alias_build=True, source=source)
    assert '"buildx"' in caught.value.message
    assert "--force" in (caught.value.hint or "")
    assert path.read_text() == before
    assert not plugin(cfg).exists()


def test_forced_over_another_alias_uninstall_puts_it_back(cfg: DockerConfig, source: Path) -> None:
    original = {**USER_CONFIG, "aliases": {"builder": "buildx"}}
    write_config(cfg, original)
    installer.install(cfg, alias_build=True, source=source, force=True)
    assert read_config(cfg)["aliases"] == {"builder": "runtimecheck"}
    lines = installer.uninstall(cfg)
    assert read_config(cfg) == original
    assert any('restored aliases.builder = "buildx"' in line for line in lines)


def test_hooks_the_user_turned_off_are_not_turned_on(cfg: DockerConfig, source: Path) -> None:
    write_config(cfg, {"features": {"hooks": "false"}})
    with pytest.raises(UsageError):
        installer.install(cfg, hooks=True, source=source)
    assert read_config(cfg) == {"features": {"hooks": "false"}}


def test_an_alias_the_user_already_had_is_left_to_the_user(cfg: DockerConfig, source: Path) -> None:
    write_config(cfg, {"aliases": {"builder": "runtimecheck"}})
    installer.install(cfg, alias_build=True, source=source)
    installer.uninstall(cfg)
    assert read_config(cfg) == {"aliases": {"builder": "runtimecheck"}}


def test_a_key_changed_since_install_is_left_alone(cfg: DockerConfig, source: Path) -> None:
    write_config(cfg, USER_CONFIG)
    installer.install(cfg, alias_build=True, source=source)
    config = read_config(cfg)
    config["aliases"]["builder"] = "mybuilder"
    write_config(cfg, config)
    lines = installer.uninstall(cfg)
    assert read_config(cfg)["aliases"] == {"builder": "mybuilder"}
    assert any("left aliases.builder" in line for line in lines)


def test_installing_twice_keeps_the_first_previous_value(cfg: DockerConfig, source: Path) -> None:
    original = {"aliases": {"builder": "buildx"}}
    write_config(cfg, original)
    installer.install(cfg, alias_build=True, source=source, force=True)
    installer.install(cfg, alias_build=True, source=source)
    installer.uninstall(cfg)
    assert read_config(cfg) == original


def test_a_key_changed_since_install_is_not_overwritten_by_installing_again(
    cfg: DockerConfig, source: Path
) -> None:
    write_config(cfg, {"credsStore": "pass"})
    installer.install(cfg, alias_build=True, source=source)
    changed = {"credsStore": "pass", "aliases": {"builder": "mybuilder"}}
    write_config(cfg, changed)
    with pytest.raises(UsageError) as caught:
        installer.install(cfg, alias_build=True, source=source)
    assert '"mybuilder"' in caught.value.message
    assert read_config(cfg) == changed

    installer.install(cfg, alias_build=True, source=source, force=True)
    assert read_config(cfg)["aliases"] == {"builder": "runtimecheck"}
    installer.uninstall(cfg)
    assert read_config(cfg) == changed


def test_a_malformed_config_is_refused_before_anything_is_written(
    cfg: DockerConfig, source: Path
) -> None:
    path = cfg.directory / "config.json"
    path.write_text('{"auths": {')
    with pytest.raises(UsageError) as caught:
        installer.install(cfg, alias_build=True, source=source)
    assert caught.value.exit_code == EXIT_USAGE
    assert path.read_text() == '{"auths": {'
    assert not plugin(cfg).exists()
    assert not (cfg.directory / "runtimecheck").exists()


def test_an_install_failing_while_writing_config_leaves_it_and_records_nothing(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(cfg, USER_CONFIG)
    before = path.read_text()
    config_json_cannot_be_written(monkeypatch)
    with pytest.raises(RuntimecheckError):
        installer.install(cfg, alias_build=True, source=source)
    assert path.read_text() == before
    assert not (cfg.directory / "runtimecheck").exists()
    assert not plugin(cfg).parent.exists()  # the plugin went with the rest
    assert not [p for p in cfg.directory.iterdir() if p.name.endswith(".tmp")]


def test_uninstall_without_a_record_removes_the_plugin_and_touches_no_config(
    cfg: DockerConfig, source: Path
) -> None:
    path = write_config(cfg, {**USER_CONFIG, "aliases": {"builder": "runtimecheck"}})
    before = path.read_text()
    installer.install(cfg, source=source)
    installer.uninstall(cfg)
    assert path.read_text() == before
    assert not plugin(cfg).exists()


def test_uninstall_refuses_a_malformed_config_and_keeps_the_plugin(
    cfg: DockerConfig, source: Path
) -> None:
    write_config(cfg, USER_CONFIG)
    installer.install(cfg, alias_build=True, source=source)
    (cfg.directory / "config.json").write_text("{oops")
    with pytest.raises(UsageError):
        installer.uninstall(cfg)
    assert plugin(cfg).exists()
    assert (cfg.directory / "runtimecheck" / "install.json").exists()


# --- nothing changes unless the new plugin works --------------------------------------------


BROKEN_SCRIPT = "#!/bin/sh\necho 'ImportError: no module named runtimecheck' >&2\nexit 1\n"


def test_a_plugin_that_does_not_answer_is_not_installed_and_nothing_changes(
    cfg: DockerConfig, source: Path, tmp_path: Path
) -> None:
    installer.install(cfg, source=source)
    path = write_config(cfg, USER_CONFIG)
    before_config, before_plugin = path.read_bytes(), plugin(cfg).read_bytes()
    before_record = (cfg.directory / "runtimecheck" / "install.json").read_bytes()
    broken = tmp_path / "broken"
    broken.write_text(BROKEN_SCRIPT)
    with pytest.raises(installer.InstallFailed) as caught:
        installer.install(cfg, alias_build=True, hooks=True, source=broken)
    assert caught.value.exit_code == 1
    assert "ImportError: no module named runtimecheck" in caught.value.message
    assert "nothing was changed" in caught.value.message
    assert path.read_bytes() == before_config
    assert plugin(cfg).read_bytes() == before_plugin
    assert (cfg.directory / "runtimecheck" / "install.json").read_bytes() == before_record
    assert sorted(p.name for p in plugin(cfg).parent.iterdir()) == ["docker-runtimecheck"]
    assert not (cfg.directory / "config.json.runtimecheck.bak").exists()


def test_a_first_install_that_fails_leaves_no_trace(cfg: DockerConfig, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text(BROKEN_SCRIPT)
    with pytest.raises(installer.InstallFailed):
        installer.install(cfg, alias_build=True, source=broken)
    assert list(cfg.directory.iterdir()) == []


def test_the_docker_cli_proof_runs_exactly_the_new_file(
    cfg: DockerConfig, source: Path, tmp_path: Path
) -> None:
    # A stand-in docker CLI that runs the plugin from the first of the config's extra dirs.
    fake_docker = tmp_path / "fake-docker"
    fake_docker.write_text(
        "#!/bin/sh\n"
        'dir=$(sed -n \'s/.*"cliPluginsExtraDirs": \\["\\([^"]*\\)".*/\\1/p\' "$2/config.json")\n'
        'shift 3\nexec "$dir/docker-runtimecheck" "$@"\n'
    )
    fake_docker.chmod(0o755)
    answers_version = tmp_path / "good"
    answers_version.write_text(
        METADATA_SCRIPT.replace("echo", 'test "$1" = --version && echo "docker-runtimecheck version 9"'
                                ' && exit 0\necho', 1)
    )  # fmt: skip
    lines = installer.install(cfg, source=answers_version, docker=str(fake_docker))
    assert any(f"through {fake_docker}" in line for line in lines)
    with pytest.raises(installer.InstallFailed) as caught:
        installer.install(cfg, source=source, docker=str(fake_docker))  # metadata only
    assert "docker runtimecheck --version" in caught.value.message
    assert plugin(cfg).read_bytes() == answers_version.read_bytes()


# --- config.json: types, backups, the user's own bytes ----------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "kind"),
    [
        ({"aliases": [1]}, "aliases", "an array"),
        ({"aliases": "runtimecheck"}, "aliases", "a string"),
        ({"plugins": {"runtimecheck": True}}, "plugins.runtimecheck", "a boolean"),
        ({"features": None}, "features", "null"),
    ],
)
def test_a_key_of_the_wrong_type_is_refused_naming_it(
    cfg: DockerConfig, source: Path, config: dict, key: str, kind: str
) -> None:
    path = write_config(cfg, config)
    before = path.read_bytes()
    with pytest.raises(UsageError) as caught:
        installer.install(cfg, alias_build=True, hooks=True, source=source)
    assert caught.value.message == f"{path}: `{key}` is {kind}, not an object; not editing it"
    assert path.read_bytes() == before
    assert not plugin(cfg).exists()  # refused before anything was written
    assert not (cfg.directory / "config.json.runtimecheck.bak").exists()
    assert not plugin(cfg).exists()
    assert sorted(p.name for p in cfg.directory.iterdir()) == ["config.json"]


def test_the_backup_always_holds_the_users_own_content(cfg: DockerConfig, source: Path) -> None:
    path = write_config(cfg, USER_CONFIG)
    backup = cfg.directory / "config.json.runtimecheck.bak"
    users = path.read_bytes()
    installer.install(cfg, alias_build=True, source=source)
    installer.install(cfg, hooks=True, source=source)  # edits our own content: no new backup
    assert backup.read_bytes() == users

    config = read_config(cfg)
    config["auths"]["registry.example"] = {"auth": "eDp5"}  # `docker login` meanwhile
    path.write_text(json.dumps(config, indent="\t"))
    users = path.read_bytes()
    installer.uninstall(cfg)
    assert backup.read_bytes() == users
    assert "runtimecheck" not in path.read_text()


def test_uninstall_restores_docker_s_own_file_byte_for_byte(
    cfg: DockerConfig, source: Path
) -> None:
    # As the docker CLI writes it: tab indent, Go's escapes, no final newline.
    docker_written = (
        b'{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "dXNlcjpwYXNz"\n'
        b'\t\t}\n\t},\n\t"credsStore": "pass",\n\t"psFormat": "table {{.Names}}\\u003c\\u003e",\n'
        b'\t"aliases": {}\n}'
    )
    path = cfg.directory / "config.json"
    path.write_bytes(docker_written)
    installer.install(cfg, alias_build=True, hooks=True, source=source)
    assert path.read_bytes() != docker_written
    installer.uninstall(cfg)
    assert path.read_bytes() == docker_written
    assert sorted(p.name for p in cfg.directory.iterdir()) == ["config.json"]


def test_a_config_install_created_goes_with_uninstall(cfg: DockerConfig, source: Path) -> None:
    installer.install(cfg, alias_build=True, hooks=True, source=source)
    assert read_config(cfg)["aliases"] == {"builder": "runtimecheck"}
    lines = installer.uninstall(cfg)
    assert any("install created it" in line for line in lines)
    assert list(cfg.directory.iterdir()) == []


def test_a_config_dir_that_did_not_exist_is_created_and_removed(
    tmp_path: Path, source: Path
) -> None:
    cfg = make_cfg(tmp_path / "new" / "docker")
    installer.install(cfg, alias_build=True, source=source)
    assert plugin(cfg).is_file()
    installer.uninstall(cfg)
    assert not (tmp_path / "new").exists()


# --- what install and uninstall say, line by line ---------------------------------------------


def test_what_a_first_install_and_its_uninstall_say(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_CLI_HOOKS", raising=False)
    target, config = plugin(cfg), cfg.directory / "config.json"
    installed = (
        f"installed the plugin {target} (copied from {source}; it answers "
        "docker-cli-plugin-metadata)"
    )
    assert installer.install(cfg, source=source, alias_build=True, hooks=True) == [
        installed,
        'set aliases.builder = "runtimecheck"',
        'set plugins.runtimecheck.hooks = "build,buildx build"',
        'set features.hooks = "true"',
        f"created {config}",
        "`docker build` and `docker builder …` now go through `docker runtimecheck`",
    ]
    assert installer.install(cfg, source=source, alias_build=True, hooks=True) == [
        installed,
        f"{config} already holds these settings",
    ]
    assert installer.uninstall(cfg) == [
        "removed aliases.builder",
        "removed features.hooks",
        "removed plugins.runtimecheck.hooks",
        f"removed {config}: install created it",
        f"removed the plugin {target}",
    ]
    assert sorted(p.name for p in cfg.directory.iterdir()) == []
    assert installer.uninstall(cfg) == [f"no plugin file at {target}"]


def test_what_a_forced_install_over_the_user_s_values_and_its_uninstall_say(
    cfg: DockerConfig, source: Path
) -> None:
    user = {"aliases": {"builder": "other"}, "features": {"hooks": "false"}}
    config = write_config(cfg, user)
    lines = installer.install(cfg, source=source, alias_build=True, hooks=True, force=True)
    assert lines[1:] == [
        'set aliases.builder = "runtimecheck" (was "other")',
        'set plugins.runtimecheck.hooks = "build,buildx build"',
        'set features.hooks = "true" (was "false")',
        f"updated {config} (your previous content: {config}.runtimecheck.bak)",
        "`docker build` and `docker builder …` now go through `docker runtimecheck`",
    ]
    record = json.loads((cfg.directory / "runtimecheck" / "install.json").read_text())
    assert record["changes"]["plugins.runtimecheck.hooks"] == {
        "created": ["plugins", "plugins.runtimecheck"],
        "previous": {},
        "set": "build,buildx build",
    }
    assert record["changes"]["aliases.builder"] == {
        "created": [],
        "previous": {"value": "other"},
        "set": "runtimecheck",
    }
    assert record["created"] == [str(cfg.directory / "cli-plugins")]
    assert installer.uninstall(cfg) == [
        'restored aliases.builder = "other"',
        'restored features.hooks = "false"',
        "removed plugins.runtimecheck.hooks",
        f"updated {config}",
        f"removed the plugin {plugin(cfg)}",
    ]
    assert read_config(cfg) == user
    assert sorted(p.name for p in cfg.directory.iterdir()) == ["config.json"]


def test_hooks_turned_off_in_the_shell_are_pointed_out(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = "note: DOCKER_CLI_HOOKS is set to false in this shell; it overrides config.json"
    monkeypatch.setenv("DOCKER_CLI_HOOKS", "false")
    assert installer.install(cfg, source=source, hooks=True)[-1] == note
    assert note not in installer.install(cfg, source=source, alias_build=True)
    monkeypatch.setenv("DOCKER_CLI_HOOKS", "true")
    assert note not in installer.install(cfg, source=source, hooks=True)
    monkeypatch.delenv("DOCKER_CLI_HOOKS")
    assert note not in installer.install(cfg, source=source, hooks=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read the install record {path}: "),
        ("[]", "the install record {path} is not what this version wrote"),
        ('{"changes": []}', "the install record {path} is not what this version wrote"),
    ],
)
def test_an_install_record_that_cannot_be_used_is_named(
    cfg: DockerConfig, source: Path, content: str, message: str
) -> None:
    path = cfg.directory / "runtimecheck" / "install.json"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(UsageError) as info:
        installer.uninstall(cfg)
    assert info.value.message.startswith(message.format(path=path))
    if content == "{":
        assert (
            info.value.hint
            == "fix or remove it (it only lists what install changed in config.json)"
        )


def test_a_missing_source_is_named(cfg: DockerConfig, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        installer.install(cfg, source=tmp_path / "nothing.pyz")
    assert info.value.message == f"--source {tmp_path / 'nothing.pyz'}: no such file"


def test_without_a_console_script_the_plugin_runs_this_python(
    cfg: DockerConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(launch, "archive", None)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python3"))
    origin, content = installer.plugin_content(None, plugin(cfg))
    assert origin == f"runs {tmp_path / 'bin' / 'python3'} -m runtimecheck"
    assert content == installer.shim(tmp_path / "bin" / "python3", "-m", "runtimecheck")
    assert f"{tmp_path / 'bin' / 'python3'}" in content.decode()


# --- the proof through the docker CLI ----------------------------------------------------------

# A stand-in docker CLI: it records how it was called, the config it was given and what of
# the environment reached it, then answers as $ANSWER, $SAY (stderr) and $STATUS tell it.
RECORDING_DOCKER = """#!/bin/sh
{ printf '%s\\n' "$@"; echo "--"; cat "$2/config.json"; echo; echo "--";
  env | grep -E '^(DOCKER_CONFIG|DOCKER_CONTEXT|DOCKER_CLI_PLUGIN_SOCKET|KEPT)=' | sort; } > "$RECORD"
printf '%s' "$ANSWER"
printf '%b' "$SAY" >&2
exit "${STATUS:-0}"
"""


@pytest.fixture
def docker_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    docker = tmp_path / "docker"
    docker.write_text(RECORDING_DOCKER)
    docker.chmod(0o755)
    monkeypatch.setenv("RECORD", str(tmp_path / "record"))
    for name in ("DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CLI_PLUGIN_SOCKET", "KEPT"):
        monkeypatch.setenv(name, f"from the caller: {name}")
    return docker


def test_the_proof_runs_the_new_file_alone_through_the_docker_cli(
    docker_stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / "new-plugin"
    plugins.mkdir()
    monkeypatch.setenv("ANSWER", "docker-runtimecheck version 9\n")
    assert installer.docker_problem(plugins, str(docker_stand_in)) is None
    argv, config, env = (tmp_path / "record").read_text().split("--\n")
    config_dir = argv.splitlines()[1]
    assert argv.splitlines() == ["--config", config_dir, "runtimecheck", "--version"]
    assert Path(config_dir).parent == plugins and Path(config_dir).name.startswith("config-")
    assert json.loads(config) == {"cliPluginsExtraDirs": [str(plugins)]}
    assert env.splitlines() == [
        "KEPT=from the caller: KEPT"
    ]  # the caller's docker settings are not
    assert list(plugins.iterdir()) == []  # the private config went with the proof


@pytest.mark.parametrize(
    ("answer", "say", "status", "problem"),
    [
        ("", "starting\\nImportError: no runtimecheck\\n", "1",
         "`docker runtimecheck --version`: exit status 1: ImportError: no runtimecheck"),
        ("", "", "3", "`docker runtimecheck --version`: exit status 3"),
        ("", "\\377\\376 broken\\n", "1", "`docker runtimecheck --version`: exit status 1: \ufffd\ufffd broken"),
        ("docker: 'runtimecheck' is not a docker command.", "", "0",
         "`docker runtimecheck --version` answered \"docker: 'runtimecheck' is not a docker command.\""),
        ("x" * 300, "", "0", f"`docker runtimecheck --version` answered {'x' * 200!r}"),
    ],
)  # fmt: skip
def test_what_a_failed_proof_says(
    docker_stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    answer: str, say: str, status: str, problem: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("ANSWER", answer)
    monkeypatch.setenv("SAY", say)
    monkeypatch.setenv("STATUS", status)
    assert installer.docker_problem(tmp_path, str(docker_stand_in)) == problem


def test_a_docker_that_cannot_run_or_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = installer.docker_problem(tmp_path, str(tmp_path / "no-docker"))
    assert problem is not None and problem.startswith("`docker runtimecheck --version`: ")
    assert "no-docker" in problem
    hangs = tmp_path / "hangs"
    hangs.write_text("#!/bin/sh\nexec sleep 60\n")
    hangs.chmod(0o755)
    monkeypatch.setattr(installer, "PROOF_TIMEOUT_S", 0.5)
    assert installer.docker_problem(tmp_path, str(hangs)) == (
        "`docker runtimecheck --version`: no answer within 0.5 s"
    )


def test_what_a_failed_metadata_answer_says(tmp_path: Path) -> None:
    def problem(script: str) -> str | None:
        plugin_file = tmp_path / "p"
        plugin_file.write_text("#!/bin/sh\n" + script)
        plugin_file.chmod(0o755)
        return installer.metadata_problem(plugin_file)

    assert problem("echo oops >&2; exit 4\n") == "docker-cli-plugin-metadata: exit status 4: oops"
    assert problem("echo '{'\n") == "its docker-cli-plugin-metadata answer is not JSON"
    assert problem("echo '[]'\n") == (
        "its docker-cli-plugin-metadata answer is not what the docker CLI expects"
    )
    assert problem("""echo '{"SchemaVersion": "0.2.0"}'\n""") == (
        "its docker-cli-plugin-metadata answer is not what the docker CLI expects"
    )


# --- directories ---------------------------------------------------------------------------------


def test_directories_are_made_outermost_first_and_reported(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    assert installer._make_dirs(deep) == [str(tmp_path / "a"), str(tmp_path / "a" / "b"), str(deep)]
    assert installer._make_dirs(deep) == []


def test_a_directory_made_meanwhile_by_another_install_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkdir = Path.mkdir

    def racing(self: Path, *args, **kwargs) -> None:
        real_mkdir(self, *args, **kwargs)
        if self.name == "a":
            raise FileExistsError(self)  # the other install was first

    monkeypatch.setattr(Path, "mkdir", racing)
    assert installer._make_dirs(tmp_path / "a" / "b") == [
        str(tmp_path / "a"),
        str(tmp_path / "a" / "b"),
    ]
    assert (tmp_path / "a" / "b").is_dir()


def test_directories_that_cannot_be_made_say_why(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RuntimecheckError) as info:
        installer._make_dirs(blocker / "sub")
    assert (info.value.message, info.value.exit_code) == (
        f"cannot create {blocker / 'sub'}: Not a directory", EXIT_USAGE,
    )  # fmt: skip
    assert (
        info.value.hint
        == "check its permissions, or use another docker config directory (--config)"
    )
    with pytest.raises(RuntimecheckError) as info:
        installer._make_dirs(blocker)
    assert (info.value.message, info.value.exit_code) == (
        f"cannot create {blocker}: something else is in its place", EXIT_USAGE,
    )  # fmt: skip
    assert info.value.hint == "move it away, or use another docker config directory (--config)"


def test_keys_changed_or_removed_since_install_are_left_and_said(
    cfg: DockerConfig, source: Path
) -> None:
    installer.install(cfg, source=source, alias_build=True, hooks=True)
    data = read_config(cfg)
    data["aliases"]["builder"] = "mine"
    del data["features"]
    write_config(cfg, data)
    assert installer.uninstall(cfg)[:3] == [
        'left aliases.builder as it is ("mine"): changed since install',
        "left features.hooks as it is (absent): changed since install",
        "removed plugins.runtimecheck.hooks",
    ]
    assert read_config(cfg) == {"aliases": {"builder": "mine"}}


def test_a_conflict_names_the_key_its_value_and_the_way_out(
    cfg: DockerConfig, source: Path
) -> None:
    config = write_config(cfg, {"features": {"hooks": "false"}, "aliases": {"builder": "buildx"}})
    with pytest.raises(UsageError) as info:
        installer.install(cfg, source=source, hooks=True)
    assert info.value.message == (
        f'{config} already sets features.hooks = "false"; not overwriting it'
    )
    assert info.value.hint == "pass --force to replace it (uninstall puts it back)"
    # Checked key by key: the alias is met first when it is asked for.
    with pytest.raises(UsageError, match=re.escape('aliases.builder = "buildx"')):
        installer.install(cfg, source=source, alias_build=True, hooks=True)


def test_a_key_an_earlier_install_set_is_no_conflict_and_later_keys_are_still_checked(
    cfg: DockerConfig, source: Path
) -> None:
    installer.install(cfg, source=source, alias_build=True)
    data = read_config(cfg)
    data["features"] = {"hooks": "false"}
    write_config(cfg, data)
    with pytest.raises(UsageError, match=re.escape('features.hooks = "false"')):
        installer.install(cfg, source=source, alias_build=True, hooks=True)
    # A key set by an earlier install and still as it set it is no conflict.
    record = json.loads((cfg.directory / "runtimecheck" / "install.json").read_text())
    assert record["changes"]["aliases.builder"]["set"] == "runtimecheck"


def test_an_install_failing_after_the_swap_puts_the_previous_plugin_back(
    cfg: DockerConfig, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installer.install(cfg, source=source)
    before = plugin(cfg).stat()
    newer = tmp_path / "newer.pyz"
    newer.write_text(METADATA_SCRIPT + "# a newer build\n")
    path = write_config(cfg, USER_CONFIG)
    config_json_cannot_be_written(monkeypatch)
    with pytest.raises(RuntimecheckError):
        installer.install(cfg, alias_build=True, source=newer)
    # The very file that was there, not a copy of it; no staging directory left behind.
    assert plugin(cfg).stat().st_ino == before.st_ino
    assert plugin(cfg).read_bytes() == source.read_bytes()
    assert sorted(p.name for p in plugin(cfg).parent.iterdir()) == ["docker-runtimecheck"]
    assert json.loads(path.read_text()) == USER_CONFIG


def test_a_failed_proof_says_how_to_get_a_working_plugin(cfg: DockerConfig, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text(BROKEN_SCRIPT)
    with pytest.raises(installer.InstallFailed) as caught:
        installer.install(cfg, source=broken)
    assert caught.value.hint == "install from a complete build (`make dist`), or pass --source FILE"
    assert caught.value.message.startswith(f"the new plugin (copied from {broken}) does not work: ")


def test_keys_installed_in_two_steps_are_all_taken_back(cfg: DockerConfig, source: Path) -> None:
    original = {"aliases": {"builder": "buildx"}, "credsStore": "desktop"}
    write_config(cfg, original)
    installer.install(cfg, alias_build=True, source=source, force=True)
    installer.install(cfg, alias_build=True, hooks=True, source=source)
    record = json.loads((cfg.directory / "runtimecheck" / "install.json").read_text())
    assert record["format"] == installer.STATE_FORMAT
    assert record["changes"]["aliases.builder"] == {
        "created": [], "previous": {"value": "buildx"}, "set": "runtimecheck",
    }  # fmt: skip
    assert record["changes"]["plugins.runtimecheck.hooks"]["created"] == [
        "plugins", "plugins.runtimecheck",
    ]  # fmt: skip
    installer.uninstall(cfg)
    assert read_config(cfg) == original


def test_the_shim_pip_installs_runs_the_console_script(tmp_path: Path) -> None:
    script = installer.shim(tmp_path / "my bin" / "docker-runtimecheck", "--flag")
    assert script.decode() == (
        "#!/bin/sh\n"
        "# docker CLI plugin: runs docker-runtimecheck as installed by pip.\n"
        f"exec '{tmp_path}/my bin/docker-runtimecheck' --flag \"$@\"\n"
    )


def as_an_older_release_left_it(cfg: DockerConfig, keys: tuple[str, ...], value: str) -> Path:
    """config.json holds `value` at `keys`, and the install record says install set it."""
    record_path = cfg.directory / "runtimecheck" / "install.json"
    data, record = read_config(cfg), json.loads(record_path.read_text())
    parent = data
    for key in keys[:-1]:
        parent = parent[key]
    parent[keys[-1]] = value
    record["changes"][".".join(keys)]["set"] = value
    config = write_config(cfg, data)
    record["written"] = installer._digest(config.read_bytes())
    record_path.write_text(json.dumps(record))
    return config


def test_an_upgrade_that_changes_a_value_install_set_keeps_what_uninstall_restores(
    cfg: DockerConfig, source: Path
) -> None:
    installer.install(cfg, hooks=True, source=source)
    config = as_an_older_release_left_it(cfg, ("plugins", "runtimecheck", "hooks"), "build")
    record_path = cfg.directory / "runtimecheck" / "install.json"
    assert installer.install(cfg, hooks=True, source=source)[1:] == [
        'set plugins.runtimecheck.hooks = "build,buildx build" (was "build")',
        f"updated {config}",
    ]
    upgraded = json.loads(record_path.read_text())["changes"]["plugins.runtimecheck.hooks"]
    assert upgraded == {
        "previous": {}, "set": "build,buildx build", "created": ["plugins", "plugins.runtimecheck"],
    }  # fmt: skip
    installer.uninstall(cfg)
    assert not config.exists()  # install created it, and nothing of the user's is in it


def test_a_config_the_user_had_stays_even_when_uninstall_empties_it(
    cfg: DockerConfig, source: Path
) -> None:
    config = write_config(cfg, {})
    installer.install(cfg, alias_build=True, source=source)
    assert "config_created" not in json.loads(
        (cfg.directory / "runtimecheck" / "install.json").read_text()
    )
    installer.uninstall(cfg)
    assert config.exists() and read_config(cfg) == {}


def test_every_proof_is_bounded_by_the_proof_timeout(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[float] = []
    real_run = installer.run.run

    def bounded(argv, **kwargs):
        asked.append(kwargs.get("timeout"))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(installer.run, "run", bounded)
    installer.metadata_problem(source)
    installer.docker_problem(tmp_path, str(tmp_path / "no-docker"))
    assert asked == [installer.PROOF_TIMEOUT_S, installer.PROOF_TIMEOUT_S]


def test_a_symlinked_plugin_is_put_back_as_the_symlink_it_was(
    cfg: DockerConfig, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "docker-runtimecheck"
    elsewhere.parent.mkdir()
    elsewhere.write_text(METADATA_SCRIPT)
    elsewhere.chmod(0o755)
    plugin(cfg).parent.mkdir(parents=True)
    plugin(cfg).symlink_to(elsewhere)
    write_config(cfg, USER_CONFIG)
    config_json_cannot_be_written(monkeypatch)
    with pytest.raises(RuntimecheckError):
        installer.install(cfg, alias_build=True, source=source)
    assert plugin(cfg).is_symlink() and os.readlink(plugin(cfg)) == str(elsewhere)


def test_a_source_that_cannot_be_read_is_named(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == source:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(UsageError) as info:
        installer.install(cfg, source=source)
    assert info.value.message == f"cannot read {source}: Permission denied"


@pytest.mark.parametrize(
    ("kept", "said"),
    [
        ("cli-plugins/docker-runtimecheck", "cannot remove {path}: Permission denied"),
        ("runtimecheck/install.json", "cannot remove the install record {path}: Permission denied"),
    ],
)
def test_a_file_uninstall_cannot_remove_is_named(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch, kept: str, said: str
) -> None:
    installer.install(cfg, alias_build=True, source=source)
    path = cfg.directory / kept
    real_unlink = Path.unlink

    def unlink(self: Path, *args, **kwargs) -> None:
        if self == path:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(RuntimecheckError) as info:
        installer.uninstall(cfg)
    assert (info.value.message, info.value.exit_code) == (said.format(path=path), EXIT_USAGE)


def hard_links_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """link(2) fails, as it does across file systems or where they have no hard links."""

    def link(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", link)


def test_where_hard_links_are_refused_the_old_plugin_is_put_back_as_a_copy(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin(cfg).parent.mkdir(parents=True)
    plugin(cfg).write_text(METADATA_SCRIPT + "# the user's own\n")
    plugin(cfg).chmod(0o750)
    write_config(cfg, USER_CONFIG)
    hard_links_refused(monkeypatch)
    config_json_cannot_be_written(monkeypatch)
    with pytest.raises(RuntimecheckError):
        installer.install(cfg, alias_build=True, source=source)
    assert plugin(cfg).read_text() == METADATA_SCRIPT + "# the user's own\n"
    assert stat.S_IMODE(plugin(cfg).stat().st_mode) == 0o750
    assert sorted(p.name for p in plugin(cfg).parent.iterdir()) == ["docker-runtimecheck"]


def test_where_hard_links_are_refused_a_symlinked_plugin_is_put_back_as_the_symlink(
    cfg: DockerConfig, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    plugin(cfg).parent.mkdir(parents=True)
    plugin(cfg).symlink_to(elsewhere)  # dangling: the link itself is what is kept
    write_config(cfg, USER_CONFIG)
    hard_links_refused(monkeypatch)
    config_json_cannot_be_written(monkeypatch)
    with pytest.raises(RuntimecheckError):
        installer.install(cfg, alias_build=True, source=source)
    assert os.readlink(plugin(cfg)) == str(elsewhere)
    assert sorted(p.name for p in plugin(cfg).parent.iterdir()) == ["docker-runtimecheck"]


def test_the_docker_cli_that_proves_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = tmp_path / "bin" / "docker"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", "/opt/docker/bin/docker")
    assert installer.docker_cli() == "/opt/docker/bin/docker"  # the one that ran the plugin
    monkeypatch.delenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND")
    assert installer.docker_cli() == str(on_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert installer.docker_cli() is None


def test_the_console_script_beside_this_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    script = bin_dir / "docker-runtimecheck"
    target = tmp_path / "cli-plugins" / "docker-runtimecheck"
    target.parent.mkdir()
    assert installer.installed_console_script(target) is None  # not installed
    script.write_text("#!/bin/sh\n")
    assert installer.installed_console_script(target) is None  # not executable
    script.chmod(0o755)
    assert installer.installed_console_script(target) == script
    target.write_text("an older plugin\n")
    assert installer.installed_console_script(target) == script
    target.unlink()
    os.link(script, target)
    assert installer.installed_console_script(target) is None  # it would run itself


def test_an_upgrade_replaces_a_shared_key_an_older_release_set_without_force(
    cfg: DockerConfig, source: Path
) -> None:
    config = write_config(cfg, {"auths": {}})
    installer.install(cfg, hooks=True, source=source)
    as_an_older_release_left_it(cfg, ("features", "hooks"), "1")
    assert installer.install(cfg, hooks=True, source=source)[1:] == [
        'set features.hooks = "true" (was "1")',
        f"updated {config}",
    ]
    installer.uninstall(cfg)
    assert read_config(cfg) == {"auths": {}}


def test_a_key_the_user_removed_since_install_is_set_again_and_its_parents_still_removed(
    cfg: DockerConfig, source: Path
) -> None:
    config = write_config(cfg, {"auths": {}})
    installer.install(cfg, hooks=True, source=source)
    data = read_config(cfg)
    del data["plugins"]["runtimecheck"]["hooks"]  # by hand: the objects around it stay
    write_config(cfg, data)
    assert installer.install(cfg, hooks=True, source=source)[1:] == [
        'set plugins.runtimecheck.hooks = "build,buildx build"',
        f"updated {config} (your previous content: {config}.runtimecheck.bak)",
    ]
    installer.uninstall(cfg)
    assert read_config(cfg) == {"auths": {}}


def test_a_second_install_says_the_backup_is_the_first_one_s(
    cfg: DockerConfig, source: Path
) -> None:
    config = write_config(cfg, {"auths": {}})
    assert installer.install(cfg, alias_build=True, source=source)[-2] == (
        f"updated {config} (your previous content: {config}.runtimecheck.bak)"
    )
    assert installer.install(cfg, hooks=True, source=source)[1:] == [
        'set plugins.runtimecheck.hooks = "build,buildx build"',
        'set features.hooks = "true"',
        f"updated {config}",  # the backup is still the user's, from before the first
    ]


def test_a_plugin_file_that_cannot_be_replaced_is_named(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst) == plugin(cfg):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(RuntimecheckError) as info:
        installer.install(cfg, source=source)
    assert (info.value.message, info.value.exit_code) == (
        f"cannot write {plugin(cfg)}: Permission denied; it was left as it was",
        EXIT_USAGE,
    )
    assert not plugin(cfg).exists()


def test_an_upgraded_shared_key_does_not_hide_a_conflict_on_the_next_one(
    cfg: DockerConfig, source: Path
) -> None:
    installer.install(cfg, alias_build=True, source=source)
    as_an_older_release_left_it(cfg, ("aliases", "builder"), "runtimecheck-old")
    data = read_config(cfg)
    data["features"] = {"hooks": "false"}  # the user's
    config = write_config(cfg, data)
    with pytest.raises(UsageError) as info:
        installer.install(cfg, alias_build=True, hooks=True, source=source)
    assert info.value.message == (
        f'{config} already sets features.hooks = "false"; not overwriting it'
    )


def test_the_new_plugin_is_staged_beside_the_old_one(cfg: DockerConfig, tmp_path: Path) -> None:
    # Renamed into place, never copied across file systems: the proof sees where it runs.
    seen = tmp_path / "seen"
    source = tmp_path / "docker-runtimecheck.pyz"
    source.write_text(f'#!/bin/sh\necho "$0" >> {seen}\n' + METADATA_SCRIPT.split("\n", 1)[1])
    installer.install(cfg, source=source)
    [staged] = seen.read_text().split()
    assert Path(staged).parent.parent == plugin(cfg).parent
    assert Path(staged).parent.name.startswith(installer.STAGING_PREFIX)
    assert sorted(p.name for p in plugin(cfg).parent.iterdir()) == ["docker-runtimecheck"]


def test_a_staging_directory_that_cannot_be_made_is_named(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def mkdtemp(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(installer.tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(RuntimecheckError) as info:
        installer.install(cfg, source=source)
    assert info.value.message == (
        f"cannot write {plugin(cfg).parent}: Permission denied; it was left as it was"
    )


def test_a_rollback_that_fails_halfway_still_reports_the_first_error(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # config.json cannot be written, so the new plugin is rolled back; then putting the old
    # file back, removing the staging directory and the directories made for it fail too.
    plugin(cfg).parent.mkdir(parents=True)
    plugin(cfg).write_text(METADATA_SCRIPT)
    write_config(cfg, USER_CONFIG)
    real_replace, real_rmdir = os.replace, os.rmdir

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith("config.json") or Path(src).name == "previous":
            raise OSError(5, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    def rmdir(path, *args, **kwargs):
        if installer.STAGING_PREFIX in str(path) or "previous" in str(path):
            raise OSError(5, "Input/output error")
        return real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rmdir", rmdir)
    with pytest.raises(RuntimecheckError) as info:
        installer.install(cfg, alias_build=True, source=source)
    assert "Input/output error" in info.value.message
    assert str(cfg.directory / "config.json") in info.value.message


def test_a_directory_made_for_the_plugin_that_cannot_be_removed_again_is_left(
    cfg: DockerConfig, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(cfg, USER_CONFIG)
    config_json_cannot_be_written(monkeypatch)
    real_rmdir = os.rmdir

    def rmdir(path, *args, **kwargs):
        if str(path) == str(plugin(cfg).parent):
            raise OSError(16, "Device or resource busy")
        return real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir)
    with pytest.raises(RuntimecheckError) as info:
        installer.install(cfg, alias_build=True, source=source)
    assert info.value.message.startswith(f"cannot write {cfg.directory / 'config.json'}")
    assert list(plugin(cfg).parent.iterdir()) == []
