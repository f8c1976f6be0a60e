"""The check on real builder containers: warm preflight, cold check, `--all`, the probe.

Sets up docker-container builders the way buildx lays them out (store files in a private
docker config, containers `buildx_buildkit_<node>` from the local test image with real runc,
started with --init), then measures, each as a ratio against a baseline measured in the same
run, alternately (the machine is noisy; absolute times mean little):

- warm preflight: `docker runtimecheck build .` with a cached verdict, handing over to
  `/bin/true` instead of `docker buildx build`, against bare `python3 -c pass` (target: at
  most 2x);
- cold check of one node: `docker runtimecheck --builder B`, with its Engine API round trips
  and execs, against `docker buildx inspect B` when a real buildx is installed (target: at
  most 2x), and against `docker exec <container> true` (one exec through the docker CLI);
- `--all` over N builders against one builder's cold check (the nodes are probed
  concurrently: the whole should cost about as much as the slowest), and against
  `docker buildx ls` when a real buildx is installed (target: at most 2x);
- the in-container probe's own time (one exec of probe.sh) against an exec of `true` through
  the same transport;
- what `--deep` adds (BuildKit's call sequence run for real): the cold check of a builder that
  can run containers (as privileged as this machine allows) with `--deep` against the same
  check without it, the same for the in-container probe alone, for an unprivileged builder
  (where the sequence is "not run"), and `probe /usr/sbin/runc --deep` on this host (as root)
  against `probe /usr/sbin/runc`.

Needs a running dockerd and the test images (`tests/images/build`).

    python bench/preflight.py [--runs N] [--zipapp dist/docker-runtimecheck] [--builders N]
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import ROOT, compare, parse_args

sys.path.insert(0, str(ROOT / "tests"))
from support import privileges  # as privileged as this machine allows, as the tests make it

IMAGE = "runtimecheck-test/buildkit:v0.12.5"
PREFIX = "benchrc"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=check)


def make_builders(config: Path, count: int) -> list[str]:
    """`count` builders in the store, each with a running container; their container names."""
    sh(str(ROOT / "tests" / "images" / "build"))
    store = config / "buildx"
    (store / "instances").mkdir(parents=True)
    containers = []
    for n in range(count):
        builder, node = f"{PREFIX}{n}", f"{PREFIX}{n}node0"
        container = f"buildx_buildkit_{node}"
        sh("docker", "rm", "-f", container, check=False)
        flags = ["--allow-insecure-entitlement=network.host"]
        sh("docker", "run", "-d", "--init", "--name", container, IMAGE, *flags)
        stored = {"Name": node, "Endpoint": "unix:///var/run/docker.sock", "Platforms": None,
                  "DriverOpts": {"image": IMAGE}, "Flags": flags, "Files": None}  # fmt: skip
        instance = {"Name": builder, "Driver": "docker-container", "Nodes": [stored]}
        (store / "instances" / builder).write_text(json.dumps(instance))
        containers.append(container)
    current = {"Key": "unix:///var/run/docker.sock", "Name": f"{PREFIX}0", "Global": False}
    (store / "current").write_text(json.dumps(current))
    return containers


def make_deep_builder(config: Path) -> str:
    """One more builder whose container can run containers; its container name."""
    builder, node = f"{PREFIX}deep", f"{PREFIX}deepnode0"
    container = f"buildx_buildkit_{node}"
    sh("docker", "rm", "-f", container, check=False)
    sh("docker", "run", "-d", "--init", *privileges.run_flags(), "--name", container, IMAGE)
    stored = {"Name": node, "Endpoint": "unix:///var/run/docker.sock", "Platforms": None,
              "DriverOpts": {"image": IMAGE}, "Flags": None, "Files": None}  # fmt: skip
    instance = {"Name": builder, "Driver": "docker-container", "Nodes": [stored]}
    (config / "buildx" / "instances" / builder).write_text(json.dumps(instance))
    return container


def deep_figures(
    zipapp: str, config: Path, env: dict[str, str], containers: list[str], runs: int
) -> None:
    """What --deep adds: to the cold check, to the in-container probe, and on this host."""
    deep = make_deep_builder(config)
    containers.append(deep)
    base = [zipapp, "--config", str(config), "runtimecheck", "--builder", f"{PREFIX}deep"]
    said = subprocess.run([*base, "--deep", "-f", "json"], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    behaviour = json.loads(said.stdout)["builders"][0]["nodes"][0]["runtime"]["behaviour"]
    print(f"--deep on a builder that can run containers: {behaviour['result']}")
    compare("cold check --deep (the sequence runs)", [*base, "--deep"], base, runs, env,
            "without --deep")  # fmt: skip
    unprivileged = [zipapp, "--config", str(config), "runtimecheck", "--builder", f"{PREFIX}0"]
    compare("cold check --deep (not run: unprivileged)", [*unprivileged, "--deep"],
            unprivileged, runs, env, "without --deep")  # fmt: skip
    probe_figures(deep, runs, deep=True)
    if os.geteuid() == 0 and os.access("/usr/sbin/runc", os.X_OK):
        probe = [zipapp, "runtimecheck", "probe", "/usr/sbin/runc"]
        compare("probe /usr/sbin/runc --deep (host)", [*probe, "--deep"], probe, runs, env,
                "without --deep")  # fmt: skip
    else:
        print("not root, or no /usr/sbin/runc: `probe --deep` on this host was not measured")


def has_buildx(env: dict[str, str]) -> bool:
    return sh("docker", "buildx", "version", check=False).returncode == 0


def probe_figures(container: str, runs: int, *, deep: bool = False) -> None:
    """The in-container probe alone against an exec of `true`, both through the raw API;
    with `deep`, the probe with --deep against the probe without it."""
    sys.path.insert(0, str(ROOT / "plugin"))
    from runtimecheck import engine, knowledge
    from runtimecheck.dockercli import Endpoint
    from runtimecheck.probe import incontainer

    kb = knowledge.load()
    client = engine.connect(Endpoint("default", "unix:///var/run/docker.sock"), timeout=30)
    attrs = client.inspect_container(container)
    assert attrs is not None
    transport = client.exec_transport(attrs)

    def probe(deep: bool = False) -> None:
        incontainer.run_in_container(
            transport,
            candidates=["buildkit-runc", "runc"],
            invocations=kb.invocations(),
            runtimes=kb.identities(),
            deep=deep,
        )

    def true() -> None:
        transport(["true"], 30)

    def with_deep() -> None:
        probe(deep=True)

    label, baseline, said = "in-container probe (one exec of probe.sh)", true, "an exec of `true`"
    if deep:
        label, baseline, said = "in-container probe --deep", probe, "the probe without --deep"
    ours, base = [], []
    for _ in range(runs):
        for fn, into in ((baseline, base), (with_deep if deep else probe, ours)):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    ratio = statistics.median(ours) / statistics.median(base)
    added = (statistics.median(ours) - statistics.median(base)) * 1000
    print(
        f"{label:<44} {ratio:5.2f}x   (median {statistics.median(ours) * 1000:6.1f} ms vs "
        f"{statistics.median(base) * 1000:5.1f} ms for {said}: +{added:.0f} ms, {runs} runs)"
    )


def main() -> int:
    args = parse_args(__doc__, lambda p: p.add_argument("--builders", type=int, default=8))
    count = args.builders
    zipapp = args.zipapp
    with tempfile.TemporaryDirectory(prefix="runtimecheck-bench-") as tmp:
        config = Path(tmp) / "docker"
        containers = make_builders(config, count)
        env = dict(
            os.environ,
            RUNTIMECHECK_PYTHON=args.python,
            XDG_CACHE_HOME=str(Path(tmp) / "cache"),
            DOCKER_HOST="unix:///var/run/docker.sock",
            DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND="/bin/true",
        )
        for name in ("BUILDX_BUILDER", "BUILDX_CONFIG", "DOCKER_CONTEXT"):
            env.pop(name, None)
        check = [zipapp, "--config", str(config), "runtimecheck", "--builder", f"{PREFIX}0"]
        try:
            cold = subprocess.run([*check[:3], "-l", "debug", *check[3:]],
                                  capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
            calls = re.findall(r"engine API #\d+: (\w+) (\S+)", cold.stderr)
            execs = [path for method, path in calls if method == "POST" and path.endswith("/exec")]
            print(f"python: {args.python}")
            print(
                f"cold check of one docker-container node: exit {cold.returncode}, "
                f"{len(calls)} Engine API round trips, {len(execs)} docker exec"
            )
            for method, path in calls:
                print(f"    {method} {path}")
            build = [zipapp, "--config", str(config), "runtimecheck", "build", "."]
            first = subprocess.run(build, capture_output=True, text=True, timeout=120, env=env)
            if first.returncode != 0:
                print(first.stderr, file=sys.stderr)
                return 1
            bare = [args.python, "-c", "pass"]
            compare("preflight, warm cache (docker-container)", build, bare, args.runs, env)
            runs = max(5, args.runs // 3)
            exec_true = ["docker", "exec", containers[0], "true"]
            compare("cold check of one node", check, exec_true, runs, env, "docker exec true")
            every = [zipapp, "--config", str(config), "runtimecheck", "--all"]
            compare(f"--all over {count} builders", every, check, runs, env, "one builder")
            if has_buildx(env):
                docker = ["docker", "--config", str(config)]
                inspect = [*docker, "buildx", "inspect", f"{PREFIX}0"]
                compare("cold check of one node", check, inspect, runs, env, "buildx inspect")
                listing = [*docker, "buildx", "ls"]
                compare(f"--all over {count} builders", every, listing, runs, env, "buildx ls")
            else:
                print("no buildx here: the comparisons with `docker buildx inspect` and "
                      "`docker buildx ls` were not measured")  # fmt: skip
            probe_figures(containers[0], runs)
            deep_figures(zipapp, config, env, containers, runs)
        finally:
            sh("docker", "rm", "-f", *containers, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
