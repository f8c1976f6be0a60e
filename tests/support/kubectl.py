"""A stand-in kubectl (no cluster here) that plays the Kubernetes API for the tests.

It logs its argv, answers `get pods` with $KUBECTL_PODS, `get pod NAME` with
$KUBECTL_MAP/NAME.json (NotFound, as kubectl says it, when there is none), and turns
`exec [-c C | --container=C] POD -- ARGV…` into `docker exec <real test container> ARGV…`,
the container named in $KUBECTL_MAP/POD, so the runtime probed in each "pod" is a real one.
Unverified against a real cluster.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

SCRIPT = """#!/bin/sh
echo "$*" >> "$KUBECTL_LOG"
while [ $# -gt 0 ]; do
    case "$1" in
        --kubeconfig|--namespace|--context|-n) shift 2 ;;
        --kubeconfig=*|--namespace=*|--context=*) shift ;;
        *) break ;;
    esac
done
case "$1" in
    get)
        if [ "$2" = pods ]; then cat "$KUBECTL_PODS"; exit; fi
        if [ -f "$KUBECTL_MAP/$3.json" ]; then cat "$KUBECTL_MAP/$3.json"; exit; fi
        echo "Error from server (NotFound): pods \\"$3\\" not found" >&2; exit 1 ;;
    exec)
        shift
        case "$1" in
            -c) shift 2 ;;
            --container=*) shift ;;
        esac
        pod=$1; shift
        [ "$1" = -c ] && shift 2
        [ "$1" = -- ] && shift
        exec docker exec "$(cat "$KUBECTL_MAP/$pod")" "$@" ;;
    *) echo "stand-in kubectl: unsupported: $*" >&2; exit 1 ;;
esac
"""


def install(directory: Path, monkeypatch) -> Path:
    """The stand-in as `kubectl` first on PATH, its files under `directory`; the directory."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(SCRIPT)
    kubectl.chmod(0o755)
    (directory / "map").mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("KUBECTL_LOG", str(directory / "argv.log"))
    monkeypatch.setenv("KUBECTL_PODS", str(directory / "pods.json"))
    monkeypatch.setenv("KUBECTL_MAP", str(directory / "map"))
    return directory


def pod(
    name: str,
    image: str,
    args: list[str],
    phase: str = "Running",
    state: Optional[dict] = None,
    *,
    sidecar_first: bool = False,
    annotations: Optional[dict[str, str]] = None,
) -> dict[str, Any]:
    """A pod as `kubectl get -o json` shows it: a container `buildkitd` (after a `sidecar`
    one with `sidecar_first`), in namespace buildkit, labelled app=builder-amd64."""
    state = {"running": {"startedAt": "2024-05-02T10:00:00Z"}} if state is None else state
    containers = [{"name": "buildkitd", "image": image, "args": args}]
    statuses = [{"name": "buildkitd", "ready": True, "state": state}]
    if sidecar_first:
        containers.insert(0, {"name": "sidecar", "image": "busybox", "args": ["--no-such-flag"]})
        statuses.insert(0, {"name": "sidecar", "ready": True, "state": state})
    return {
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "buildkit",
            "labels": {"app": "builder-amd64"},
            "annotations": annotations or {},
        },
        "spec": {"containers": containers},
        "status": {"phase": phase, "containerStatuses": statuses},
    }
