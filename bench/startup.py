"""Start-up cost of the plugin, as ratios against bare `python3 -c pass` in the same run.

The machine is noisy, so absolute times mean little: every measurement alternates with the
baseline and the report is the ratio of medians. Targets: `docker-cli-plugin-metadata` at
most 2x the bare interpreter (the docker CLI runs it on every `docker --help`); the build
preflight with a warm cache at most 2x as well.

    python bench/startup.py [--runs N] [--zipapp dist/docker-runtimecheck]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    # No timeout: with one, subprocess polls for the end in sleeps of up to 50 ms, and the
    # times measured are that poll's steps.
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(
    label: str,
    argv: list[str],
    baseline: list[str],
    runs: int,
    env: dict[str, str],
    baseline_label: str = "bare python",
) -> float:
    timed(argv, env)  # warm: extraction, page cache
    timed(baseline, env)
    ours, base = [], []
    for _ in range(runs):
        base.append(timed(baseline, env))
        ours.append(timed(argv, env))
    ratio = statistics.median(ours) / statistics.median(base)
    print(
        f"{label:<44} {ratio:5.2f}x   (median {statistics.median(ours) * 1000:6.1f} ms"
        f" vs {statistics.median(base) * 1000:5.1f} ms {baseline_label}, {runs} runs)"
    )
    return ratio


def parse_args(doc: str, more: Optional[Callable[[argparse.ArgumentParser], Any]] = None):
    """--runs, --zipapp and --python, shared by the benchmarks (and `more` of a benchmark's
    own); exits when there is no zipapp."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if more is not None:
        more(parser)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--zipapp", default=str(ROOT / "dist" / "docker-runtimecheck"))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    if not Path(args.zipapp).is_file():
        sys.exit(f"{args.zipapp} not found: run `make dist` first")
    return args


def main() -> int:
    args = parse_args(__doc__)
    env = dict(os.environ)
    baseline = [args.python, "-c", "pass"]
    print(f"python: {args.python}")
    # Run the file the way the docker CLI does (exec, its own header picks python3), and
    # through an explicit interpreter (the zip's own __main__ fast path).
    env["RUNTIMECHECK_PYTHON"] = args.python
    metadata = "docker-cli-plugin-metadata"
    compare(
        f"{metadata} (exec'd as the CLI does)", [args.zipapp, metadata], baseline, args.runs, env
    )
    compare(
        f"{metadata} (python3 FILE)", [args.python, args.zipapp, metadata], baseline, args.runs, env
    )
    compare(
        "--version (unpacked build, after the first run)",
        [args.zipapp, "--version"],
        baseline,
        args.runs,
        env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
