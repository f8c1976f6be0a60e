"""Which builder a build uses, resolved as buildx resolves it, from the store files alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtimecheck.builders import selection, store
from runtimecheck.dockercli import DockerConfig, GlobalOptions, context_dir_name, resolve
from runtimecheck.errors import EXIT_USAGE, UsageError

SOCK = "unix:///var/run/docker.sock"


def config(tmp_path: Path, context: str | None = None) -> DockerConfig:
    return resolve(GlobalOptions(config=str(tmp_path), context=context), env={})


def add_context(tmp_path: Path, name: str, host: str) -> None:
    meta = tmp_path / "contexts" / "meta" / context_dir_name(name) / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}})
    )


def add_builder(tmp_path: Path, name: str, driver: str = "docker-container") -> None:
    path = tmp_path / "buildx" / "instances" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Name": name, "Driver": driver, "Nodes": [{"Name": name + "0"}]}))


def set_current(tmp_path: Path, key: str, name: str, global_: bool = False) -> None:
    (tmp_path / "buildx").mkdir(exist_ok=True)
    (tmp_path / "buildx" / "current").write_text(
        json.dumps({"Key": key, "Name": name, "Global": global_})
    )


def set_default(tmp_path: Path, key: str, name: str) -> None:
    path = tmp_path / "buildx" / "defaults" / store.key_hash(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(name)


def name(tmp_path: Path, explicit: str | None = None, env: dict | None = None, **kw) -> str:
    return selection.selected_builder_name(config(tmp_path, **kw), explicit, env or {})


def test_no_store_means_the_context_builder(tmp_path: Path) -> None:
    assert name(tmp_path) == "default"
    builder = selection.selected_builder(config(tmp_path), env={})
    assert isinstance(builder, store.Builder)
    assert (builder.driver, builder.from_context, builder.nodes[0].name) == (
        "docker",
        True,
        "default",
    )


def test_explicit_then_env_then_current(tmp_path: Path) -> None:
    for b in ("a", "b", "c"):
        add_builder(tmp_path, b)
    set_current(tmp_path, SOCK, "c")
    assert name(tmp_path) == "c"
    assert name(tmp_path, env={"BUILDX_BUILDER": "b"}) == "b"
    assert name(tmp_path, "a", env={"BUILDX_BUILDER": "b"}) == "a"


def test_current_for_another_endpoint_is_not_used(tmp_path: Path) -> None:
    add_builder(tmp_path, "c")
    set_current(tmp_path, "other-context", "c")
    assert name(tmp_path) == "default"


def test_global_current_wins_across_endpoints(tmp_path: Path) -> None:
    add_builder(tmp_path, "g")
    set_current(tmp_path, "other-context", "g", global_=True)
    assert name(tmp_path) == "g"


def test_current_naming_a_removed_builder_falls_back_to_the_context(tmp_path: Path) -> None:
    add_builder(tmp_path, "d")
    set_default(tmp_path, SOCK, "d")
    set_current(tmp_path, SOCK, "gone")
    # buildx: Key matches but the builder is gone → no current, and defaults are not consulted
    assert name(tmp_path) == "default"


def test_defaults_file_for_the_endpoint(tmp_path: Path) -> None:
    add_builder(tmp_path, "d")
    set_default(tmp_path, SOCK, "d")
    set_current(tmp_path, "other-context", "x")
    assert name(tmp_path) == "d"


def test_context_key_is_the_context_name(tmp_path: Path) -> None:
    add_context(tmp_path, "remote-box", "tcp://10.0.0.1:2375")
    add_builder(tmp_path, "r")
    set_current(tmp_path, "remote-box", "r")
    assert name(tmp_path, context="remote-box") == "r"
    assert name(tmp_path) == "default"


# docker/buildx v0.36.1 builder/builder.go Builder.Validate (run by `buildx build`, after
# storeutil.GetNodeGroup found the context): "use `docker --context=%s buildx` to switch to
# context %q" for a context builder that is not the current context's.
def test_another_context_s_builder_is_refused_as_buildx_refuses_it(tmp_path: Path) -> None:
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    with pytest.raises(UsageError, match=r"use `docker --context=box buildx`") as info:
        selection.selected_builder(config(tmp_path), "box", env={})
    assert info.value.hint == "check it with `docker --context=box runtimecheck`"
    builder = selection.selected_builder(config(tmp_path, context="box"), "box", env={})
    assert isinstance(builder, store.Builder)
    assert (builder.name, builder.driver) == ("box", "docker")
    # A stored builder of that name wins over the context (GetNodeGroup looks there first).
    add_builder(tmp_path, "box")
    stored = selection.selected_builder(config(tmp_path), "box", env={})
    assert isinstance(stored, store.Builder) and stored.driver == "docker-container"


def test_unknown_builder_is_a_usage_error_listing_the_others(tmp_path: Path) -> None:
    add_builder(tmp_path, "alpha")
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    with pytest.raises(UsageError) as info:
        selection.selected_builder(config(tmp_path), "typo", env={})
    assert info.value.exit_code == EXIT_USAGE
    assert "'typo'" in info.value.message
    assert info.value.hint is not None
    for available in ("alpha", "box", "default"):
        assert available in info.value.hint


def test_unknown_builder_from_env_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        selection.selected_builder(config(tmp_path), env={"BUILDX_BUILDER": "nope"})


def test_all_builders_lists_stored_then_contexts(tmp_path: Path) -> None:
    add_builder(tmp_path, "alpha")
    add_builder(tmp_path, "kube", driver="kubernetes")
    (tmp_path / "buildx" / "instances" / "broken").write_text("not json")
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    found = selection.all_builders(config(tmp_path), env={})
    assert [(b.name, b.driver) for b in found] == [
        ("alpha", "docker-container"),
        ("broken", "unknown"),
        ("kube", "kubernetes"),
        ("default", "docker"),
        ("box", "docker"),
    ]
    assert isinstance(found[1], store.BuilderError)


def test_buildx_config_env_moves_the_store(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "instances").mkdir(parents=True)
    (elsewhere / "instances" / "e").write_text(json.dumps({"Name": "e", "Driver": "remote"}))
    (elsewhere / "current").write_text(json.dumps({"Key": SOCK, "Name": "e", "Global": False}))
    env = {"BUILDX_CONFIG": str(elsewhere)}
    assert name(tmp_path, env=env) == "e"
    builder = selection.selected_builder(config(tmp_path), env=env)
    assert isinstance(builder, store.Builder) and builder.driver == "remote"


# Every spelling of the build's --builder against buildx's recorded choice. buildx takes the
# flag's default from BUILDX_BUILDER (docker/buildx v0.36.1 commands/root.go:149,
# `flags.StringVar(&options.builder, "builder", os.Getenv("BUILDX_BUILDER"), …)`; pflag keeps
# the last value given) and an empty name means the current builder (builder/builder.go:107,
# `if b.opts.name != "" { GetNodeGroup } else { GetCurrentInstance }`).
BUILDX_CHOICES = [
    (["--builder", "x", "."], {}, "x"),
    (["--builder=x", "."], {}, "x"),
    (["--builder", "x", "."], {"BUILDX_BUILDER": "envb"}, "x"),
    (["--builder=", "."], {"BUILDX_BUILDER": "envb"}, "cur"),
    (["--builder", "", "."], {"BUILDX_BUILDER": "envb"}, "cur"),
    (["--builder=x", "--builder=", "."], {"BUILDX_BUILDER": "envb"}, "cur"),
    (["--builder", "envb", "--builder=x", "."], {}, "x"),
    (["."], {"BUILDX_BUILDER": "envb"}, "envb"),
    (["."], {"BUILDX_BUILDER": ""}, "cur"),
    (["."], {}, "cur"),
]


@pytest.mark.parametrize(("args", "env", "chosen"), BUILDX_CHOICES)
def test_the_preflight_picks_buildx_s_builder_for_every_spelling(
    tmp_path: Path, args: list[str], env: dict, chosen: str
) -> None:
    from runtimecheck.preflight.args import parse_build_args

    for builder in ("x", "envb", "cur"):
        add_builder(tmp_path, builder)
    set_current(tmp_path, SOCK, "cur")
    explicit = parse_build_args(args).builder
    assert selection.selected_builder_name(config(tmp_path), explicit, env) == chosen


def test_without_a_current_builder_an_empty_flag_means_the_context_s(tmp_path: Path) -> None:
    add_builder(tmp_path, "envb")
    assert name(tmp_path, "", {"BUILDX_BUILDER": "envb"}) == "default"


def test_a_tcp_docker_host_finds_the_builder_buildx_use_chose(tmp_path: Path) -> None:
    # After `DOCKER_HOST=tcp://buildhost docker buildx use mybuilder`, buildx wrote the key as
    # docker/cli normalised the host (opts/hosts.go ParseTCPAddr adds the default port).
    add_builder(tmp_path, "mybuilder")
    set_current(tmp_path, "tcp://buildhost:2375", "mybuilder")

    def chosen(host: str) -> str:
        env = {"DOCKER_HOST": host}
        cfg = resolve(GlobalOptions(config=str(tmp_path)), env=env)
        return selection.selected_builder_name(cfg, None, env)

    assert chosen("tcp://buildhost") == "mybuilder"
    assert chosen("buildhost") == "mybuilder"
    assert chosen("tcp://buildhost:2376") == "default"


# docker/buildx v0.36.1 store/store.go Txn.Current: a `current` file that cannot be read or
# decoded is returned as an error (buildx stops), not treated as absent.
@pytest.mark.parametrize("content", ["{not json", "[]"])
def test_a_current_file_buildx_cannot_read_is_a_usage_error(tmp_path: Path, content: str) -> None:
    add_builder(tmp_path, "c")
    (tmp_path / "buildx" / "current").write_text(content)
    with pytest.raises(UsageError) as info:
        name(tmp_path)
    assert "current" in info.value.message and info.value.hint is not None


def test_current_naming_an_undecodable_builder_falls_back_to_the_context(tmp_path: Path) -> None:
    # NodeGroupByName fails on the bad instance file: Txn.Current returns no builder.
    path = tmp_path / "buildx" / "instances" / "broken"
    path.parent.mkdir(parents=True)
    path.write_text("{")
    set_current(tmp_path, SOCK, "broken")
    assert name(tmp_path) == "default"


def test_a_defaults_entry_is_used_as_written_not_trimmed(tmp_path: Path) -> None:
    add_builder(tmp_path, "d")
    set_default(tmp_path, SOCK, "d\n")  # ValidateName("d\n") fails in buildx
    assert name(tmp_path) == "default"


def test_a_stored_builder_without_a_driver_is_checked_with_the_docker_driver(
    tmp_path: Path,
) -> None:
    path = tmp_path / "buildx" / "instances" / "old"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"Name": "old", "Nodes": [{"Name": "old0", "Endpoint": SOCK}]}))
    builder = selection.selected_builder(config(tmp_path), "old", env={})
    assert isinstance(builder, store.Builder) and builder.driver == "docker"
    assert any("docker 10, remote 20, docker-container 30" in n for n in builder.nodes[0].notes)
    [listed] = [b for b in selection.all_builders(config(tmp_path), env={}) if b.name == "old"]
    assert isinstance(listed, store.Builder) and listed.driver == "docker"


def test_an_unknown_builder_s_hint_lists_exactly_the_builders_and_contexts(tmp_path: Path) -> None:
    add_builder(tmp_path, "alpha")
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    with pytest.raises(UsageError) as info:
        selection.builder_by_name(config(tmp_path), "typo", env={})
    assert info.value.message == "no builder 'typo' found"
    assert info.value.hint == "available builders: alpha, box, default"


def test_malformed_selected_builder_is_a_finding_naming_its_file(tmp_path: Path) -> None:
    path = tmp_path / "buildx" / "instances" / "bad"
    path.parent.mkdir(parents=True)
    path.write_text("{")
    found = selection.selected_builder(config(tmp_path), "bad", env={})
    assert isinstance(found, store.BuilderError)
    assert (found.name, found.path) == ("bad", path)
    assert "not valid JSON" in found.message
    [listed] = [b for b in selection.all_builders(config(tmp_path), env={}) if b.name == "bad"]
    assert isinstance(listed, store.BuilderError)
    assert (listed.path, listed.message) == (path, found.message)


def test_the_current_context_s_builder_leads_to_that_context(tmp_path: Path) -> None:
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    builder = selection.builder_by_name(config(tmp_path, context="box"), "box", env={})
    assert isinstance(builder, store.Builder)
    assert [(n.name, n.endpoint) for n in builder.nodes] == [("box", "box")]
    every = selection.all_builders(config(tmp_path), env={})
    assert [(b.name, [(n.name, n.endpoint) for n in b.nodes]) for b in every] == [
        ("default", [("default", "default")]),
        ("box", [("box", "box")]),
    ]


def test_all_builders_reads_the_store_buildx_config_names(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "instances").mkdir(parents=True)
    (elsewhere / "instances" / "e").write_text(json.dumps({"Name": "e", "Driver": "remote"}))
    add_builder(tmp_path, "not-this-one")
    found = selection.all_builders(config(tmp_path), env={"BUILDX_CONFIG": str(elsewhere)})
    assert [b.name for b in found] == ["e", "default"]


def test_a_stored_builder_hides_the_context_of_its_name_and_only_that_one(tmp_path: Path) -> None:
    # buildx's GetNodeGroup looks in the store first: a stored `default` (or `box`, however
    # the file spells it) is what that name means; the other contexts are still listed.
    (tmp_path / "buildx" / "instances").mkdir(parents=True)
    (tmp_path / "buildx" / "instances" / "-invalid-name").write_text("{}")
    add_builder(tmp_path, "default")
    (tmp_path / "buildx" / "instances" / "box").write_text(
        json.dumps({"Name": "Box", "Driver": "remote", "Nodes": [{"Name": "box0"}]})
    )
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    add_context(tmp_path, "other", "tcp://10.0.0.2:2375")
    found = selection.all_builders(config(tmp_path), env={})
    assert [(b.name, b.driver) for b in found] == [
        ("Box", "remote"),
        ("default", "docker-container"),
        ("other", "docker"),
    ]


def test_a_broken_stored_builder_also_hides_the_context_of_its_name(tmp_path: Path) -> None:
    add_context(tmp_path, "box", "tcp://10.0.0.1:2375")
    (tmp_path / "buildx" / "instances").mkdir(parents=True)
    (tmp_path / "buildx" / "instances" / "box").write_text("{")
    found = selection.all_builders(config(tmp_path), env={})
    assert [(b.name, type(b).__name__) for b in found] == [
        ("box", "BuilderError"),
        ("default", "Builder"),
    ]
