"""The build preflight: warm-cache overhead as a ratio, and the cost of a cold check.

Sets up one docker-container builder the way buildx lays it out (store files in a private
docker config, the container `buildx_buildkit_<node>` from the local test image with real
runc), then:

- cold check: `docker runtimecheck --builder B`, counting Docker Engine API round trips and
  `docker exec`s from the debug log (target: one exec per node);
- warm preflight: `docker runtimecheck build .` with a cached verdict, handing over to
  `/bin/true` instead of `docker buildx build`, against bare `python3 -c pass` in the same
  run (target: at most 2x).

Needs a running dockerd and the test images (`tests/images/build`).

    python bench/preflight.py [--runs N] [--zipapp dist/docker-runtimecheck]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import ROOT, compare, parse_args

IMAGE = "runtimecheck-test/buildkit:v0.12.5"
BUILDER = "benchrc"
NODE = "benchrc0"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=check)


def make_builder(config: Path) -> str:
    """Store files and a running builder container; returns the container name."""
    sh(str(ROOT / "tests" / "images" / "build"))
    container = f"buildx_buildkit_{NODE}"
    sh("docker", "rm", "-f", container, check=False)
    sh(
        "docker",
        "run",
        "-d",
        "--name",
        container,
        IMAGE,
        "--allow-insecure-entitlement=network.host",
    )
    store = config / "buildx"
    (store / "instances").mkdir(parents=True)
    node = {
        "Name": NODE,
        "Endpoint": "unix:///var/run/docker.sock",
        "Platforms": None,
        "DriverOpts": {"image": IMAGE},
        "Flags": ["--allow-insecure-entitlement=network.host"],
        "Files": None,
    }
    instance = {"Name": BUILDER, "Driver": "docker-container", "Nodes": [node], "Dynamic": False}
    (store / "instances" / BUILDER).write_text(json.dumps(instance))
    current = {"Key": "unix:///var/run/docker.sock", "Name": BUILDER, "Global": False}
    (store / "current").write_text(json.dumps(current))
    return container


def main() -> int:
    args = parse_args(__doc__)
    zipapp = args.zipapp
    with tempfile.TemporaryDirectory(prefix="runtimecheck-bench-") as tmp:
        config = Path(tmp) / "docker"
        container = make_builder(config)
        env = dict(
            os.environ,
            RUNTIMECHECK_PYTHON=args.python,
            XDG_CACHE_HOME=str(Path(tmp) / "cache"),
            DOCKER_HOST="unix:///var/run/docker.sock",
            DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND="/bin/true",
        )
        env.pop("BUILDX_BUILDER", None)
        env.pop("BUILDX_CONFIG", None)
        try:
            cold = subprocess.run(
                [zipapp, "--config", str(config), "-l", "debug", "runtimecheck", "--builder", BUILDER],
                capture_output=True, text=True, timeout=120, env=env,
            )  # fmt: skip
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
            compare(
                "preflight, warm cache (docker-container)",
                build,
                [args.python, "-c", "pass"],
                args.runs,
                env,
            )
        finally:
            sh("docker", "rm", "-f", container, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
