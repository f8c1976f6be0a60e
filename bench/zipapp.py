"""Size and first-run (unpack) cost of the zipapp, with the shipped dependency set and with
full typer (rich, pygments, markdown-it, shellingham), as ratios against bare
`python3 -c pass` measured in the same run.

    python bench/zipapp.py [--runs N] [--python PYTHON]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from startup import ROOT

# The set bundled while the CLI depended on full typer (typer 0.23.2, the newest for 3.9).
FULL_TYPER = """\
annotated-doc==0.0.5
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.1.8
docker==7.2.0
idna==3.20
markdown-it-py==3.0.0
mdurl==0.1.2
packaging==26.3
pygments==2.21.0
requests==2.32.5
rich==15.0.0
shellingham==1.5.4
tomli==2.5.0
typer==0.23.2
urllib3==2.6.3
"""


def build(requirements: Path, output: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-zipapp"), "--output", str(output),
         "--requirements", str(requirements)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip


def timed(argv: list[str], env: dict[str, str]) -> float:
    # No timeout: with one, subprocess polls for the end in sleeps of up to 50 ms.
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def first_runs(zipapp: Path, python: str, runs: int, work: Path) -> tuple[float, float]:
    """Medians of (first run into an empty extraction root, bare python) alternated."""
    ours, base = [], []
    for i in range(runs):
        root = work / f"root-{zipapp.parent.name}-{i}"
        env = dict(os.environ, SHIV_ROOT=str(root), RUNTIMECHECK_PYTHON=python)
        base.append(timed([python, "-c", "pass"], env))
        ours.append(timed([str(zipapp), "--version"], env))
        shutil.rmtree(root, ignore_errors=True)
    return statistics.median(ours), statistics.median(base)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        full = work / "full-typer.txt"
        full.write_text(FULL_TYPER)
        variants = {
            "shipped (typer-slim)": ROOT / "requirements" / "zipapp.txt",
            "full typer": full,
        }
        print(f"python: {args.python}")
        for label, requirements in variants.items():
            output = work / label.split()[0] / "docker-runtimecheck"
            output.parent.mkdir()
            build(requirements, output)
            size = output.stat().st_size
            ours, base = first_runs(output, args.python, args.runs, work)
            print(
                f"{label:<22} {size / 1024:7.0f} KiB   first run {ours / base:5.2f}x bare python"
                f"   (median {ours * 1000:6.1f} ms vs {base * 1000:5.1f} ms, {args.runs} runs)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
