"""The remote driver's `kube-pod://POD?context=CTX&namespace=NS&container=C` endpoint.

buildx reaches it through BuildKit's connection helper (moby/buildkit
client/connhelper/kubepod), which runs
`kubectl --context=CTX --namespace=NS exec --container=C -i POD -- buildctl dial-stdio`:
empty values leave kubectl's own defaults (the kubeconfig's context and namespace, the pod's
default container), and no --kubeconfig is given. The pod is read and probed through the same
kubectl, as a kubernetes builder's pod is.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Optional
from urllib.parse import parse_qs, urlparse

from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import NodeFacts

from . import kubernetes, remote
from .driver import InspectContext
from .store import Builder, Node

GET_TIMEOUT_S = 15.0
# kubepod.go validKubeIdentifier: what SpecFromURL accepts as pod, namespace and container.
_IDENTIFIER = re.compile(r"^[-a-z0-9.]+$")


@dataclass
class PodSpec:
    pod: str
    namespace: Optional[str] = None
    context: Optional[str] = None
    container: Optional[str] = None


def parse_endpoint(endpoint: str) -> PodSpec:
    """kubepod.SpecFromURL. Raises RuntimecheckError for what it refuses (buildx then cannot
    connect either). Pure."""
    url = urlparse(endpoint)
    query = parse_qs(url.query)

    def first(key: str) -> Optional[str]:
        return (query.get(key) or [""])[0] or None

    spec = PodSpec(
        remote.url_host(url.netloc), first("namespace"), first("context"), first("container")
    )
    if not spec.pod:
        raise RuntimecheckError(f"{endpoint} names no pod")
    for what, value in (("pod", spec.pod), ("namespace", spec.namespace),
                        ("container", spec.container)):  # fmt: skip
        if value is not None and not _IDENTIFIER.match(value):
            raise RuntimecheckError(
                f"{endpoint}: unsupported {what} name {value!r}",
                hint="BuildKit's kube-pod helper accepts only lower-case letters, digits, - and .",
            )
    return spec


def kubectl_prefix(spec: PodSpec) -> list[str]:
    # The helper passes --context= and --namespace= even when empty, which kubectl takes as
    # not given; leaving them out is the same call.
    argv = ["kubectl"]
    if spec.context:
        argv.append(f"--context={spec.context}")
    if spec.namespace:
        argv.append(f"--namespace={spec.namespace}")
    return argv


def exec_prefix(spec: PodSpec) -> list[str]:
    container = [f"--container={spec.container}"] if spec.container else []
    return [*kubectl_prefix(spec), "exec", *container, spec.pod, "--"]


def inspect(ctx: InspectContext, builder: Builder, node: Node) -> NodeFacts:
    """The pod's buildkitd, probed through kubectl exec where BuildKit dials it."""
    spec = parse_endpoint(node.endpoint or "")
    deadline = time.monotonic() + ctx.timeout
    argv = [*kubectl_prefix(spec), "get", "pod", spec.pod, "-o", "json"]
    try:
        text = kubernetes.kubectl_text(argv, min(ctx.timeout, GET_TIMEOUT_S))
    except kubernetes.KubectlError as e:
        raise RuntimecheckError(str(e), hint=_next_step(spec, argv, e.started)) from None
    try:
        item = json.loads(text)
    except ValueError as e:
        raise RuntimecheckError(f"`{' '.join(argv)}` did not answer JSON ({e})") from None
    if not isinstance(item, dict) or item.get("kind", "Pod") != "Pod":
        raise RuntimecheckError(f"`{' '.join(argv)}` did not answer with a pod")
    pod = kubernetes.parse_pod(item, spec.container)
    if pod.container is None:
        has = f"no container {spec.container}" if spec.container else "no containers"
        raise RuntimecheckError(f"pod {spec.pod} has {has}")
    cmd = [*(pod.command or []), *(pod.args or [])]
    facts = kubernetes.inspect_pod(
        builder,
        node,
        pod,
        image=pod.image,
        cmd=cmd,
        env=pod.env,
        config=kubernetes.config_path(node, pod.image, cmd, pod.env),
        exec_prefix=exec_prefix(spec),
        kb=ctx.kb,
        left=deadline - time.monotonic(),
        timeout=ctx.timeout,
        driver=remote.NAME,
        deep=ctx.deep,
    )
    facts.notes.append(
        f"the endpoint names pod {spec.pod} (container {pod.container}), "
        "reached through kubectl as BuildKit's kube-pod helper reaches it"
    )
    return facts


def _next_step(spec: PodSpec, argv: list[str], started: bool) -> str:
    if not started:
        return (
            "buildx reaches a kube-pod:// endpoint through kubectl too: install kubectl "
            "and give it access to the cluster"
        )
    return f"buildx reaches the pod the same way: make `{' '.join(argv)}` work"
