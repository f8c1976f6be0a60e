"""The kubernetes driver: every pod of each node's Deployment, probed through `kubectl exec`.

buildx (driver/kubernetes) names the Deployment after the node (`_` → `-`), labels its pods
`app=<name>`, runs buildkitd in the container `buildkitd` with the flags as Args, and mounts
the stored Files at /etc/buildkit. Namespace: driver option `namespace`, else kubectl's.
Each replica is checked: they may run on different machines.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

from runtimecheck.dockercli import DockerConfig
from runtimecheck.facts import NodeFacts
from runtimecheck.knowledge import Knowledge
from runtimecheck.run import run
from runtimecheck.truth import go_bool

from . import buildkitd
from .buildkitd_container import DEFAULT_IMAGE, Observed, env_options, node_facts, probe_running
from .driver import InspectContext, NotCheap, failed_node
from .store import Builder, Node

NAME = "kubernetes"

# The driver's attributes (driver.Driver): this module is the driver.
name = NAME
priority = 40
boots_on_demand = True
asks_engine_version = False
CONTAINER = "buildkitd"
LIST_TIMEOUT_S = 15.0
MIN_PROBE_S = 2.0  # less than this left of the bound: a pod is judged from its spec


@dataclass
class KubeEndpoint:
    builder: Optional[str]
    deployment: Optional[str]
    kubeconfig: Optional[str]


def parse_endpoint(endpoint: Optional[str]) -> KubeEndpoint:
    """`kubernetes:///<builder>?deployment=<node>&kubeconfig=<path>` → its parts. Pure."""
    if not endpoint or not endpoint.startswith("kubernetes://"):
        return KubeEndpoint(None, None, None)
    url = urlparse(endpoint)
    query = parse_qs(url.query)

    def first(key: str) -> Optional[str]:
        values = query.get(key) or [""]
        return values[0] or None

    return KubeEndpoint(url.path.strip("/") or None, first("deployment"), first("kubeconfig"))


def deployment_name(node: Node) -> str:
    return node.name.replace("_", "-")


def kubectl_base(node: Node) -> list[str]:
    argv = ["kubectl"]
    endpoint = parse_endpoint(node.endpoint)
    if endpoint.kubeconfig:
        argv += ["--kubeconfig", endpoint.kubeconfig]
    namespace = node.driver_opts.get("namespace")
    if namespace:
        argv += ["--namespace", namespace]
    return argv


@dataclass
class Pod:
    name: str
    namespace: Optional[str]
    phase: str
    running: bool  # the buildkitd container itself runs (a Running pod may be restarting it)
    waiting: Optional[str]  # why it does not, e.g. CrashLoopBackOff
    image: Optional[str]
    args: Optional[list[str]]
    env: dict[str, str] = field(default_factory=dict)  # the container's env (env.* opts)
    command: Optional[list[str]] = None  # the container's command (the image's entrypoint: None)
    container: Optional[str] = None  # the container looked at; None: the pod has none such


# kubectl exec's default container (KEP-2227): the only one, else the one this annotation
# names, else the first.
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


def parse_pod(item: dict[str, Any], container: Optional[str] = CONTAINER) -> Pod:
    """One pod of `kubectl get … -o json`, seen through one of its containers: `container`,
    or with None the one `kubectl exec` picks without `--container`. Pure."""
    meta = item.get("metadata") or {}
    spec = item.get("spec") or {}
    status = item.get("status") or {}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    if container is None and containers:
        named = (meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
        names = [c.get("name") for c in containers]
        container = named if len(containers) > 1 and named in names else names[0]
    chosen: dict[str, Any] = next((c for c in containers if c.get("name") == container), {})
    state: dict[str, Any] = next(
        (
            c.get("state") or {}
            for c in status.get("containerStatuses") or []
            if c.get("name") == container
        ),
        {},
    )
    waiting = state.get("waiting") or {}
    return Pod(
        name=str(meta.get("name")),
        namespace=meta.get("namespace"),
        phase=str(status.get("phase") or "Unknown"),
        # No status for the container yet: the phase alone decides.
        running="running" in state if state else True,
        waiting=waiting.get("reason") if isinstance(waiting, dict) else None,
        image=chosen.get("image"),
        args=_strings(chosen.get("args")),
        env={
            str(e["name"]): str(e.get("value") or "")
            for e in chosen.get("env") or []
            if isinstance(e, dict) and e.get("name")
        },
        command=_strings(chosen.get("command")),
        container=container if chosen else None,
    )


def _strings(value: Any) -> Optional[list[str]]:
    return [str(v) for v in value] if isinstance(value, list) else None


def parse_pods(text: str) -> list[Pod]:
    """`kubectl get pods -o json` → the buildkitd container of each pod. Pure."""
    doc = json.loads(text)
    return sorted((parse_pod(item) for item in doc.get("items") or []), key=lambda p: p.name)


class KubectlError(Exception):
    def __init__(self, message: str, *, started: bool = True):
        super().__init__(message)
        self.started = started  # False: kubectl itself could not be run


def kubectl_text(argv: list[str], timeout: float) -> str:
    """What a kubectl command prints; KubectlError, saying why, when it does not succeed."""
    done = run(argv, timeout=timeout)
    if done.error:
        raise KubectlError(f"kubectl cannot be run: {done.error}", started=False)
    if done.timed_out:
        raise KubectlError(f"`{' '.join(argv)}` did not answer within {timeout:g} s")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise KubectlError(
            f"`{' '.join(argv)}` failed (exit {done.returncode})"
            + (f": {message[-1]}" if message else "")
        )
    return done.text()


def list_pods(node: Node, timeout: float) -> tuple[list[Pod], str]:
    """The pods of the node's Deployment (by its `app` label) and the label used."""
    names = [deployment_name(node)]
    from_endpoint = parse_endpoint(node.endpoint).deployment
    if from_endpoint and from_endpoint not in names:
        names.append(from_endpoint)
    for name in names:
        argv = [*kubectl_base(node), "get", "pods", "-l", f"app={name}", "-o", "json"]
        text = kubectl_text(argv, timeout)
        try:
            pods = parse_pods(text)
        except (ValueError, AttributeError, TypeError) as e:
            raise KubectlError(f"`{' '.join(argv)}` did not answer JSON ({e})") from None
        if pods:
            return pods, name
    return [], names[0]


# driver/bkimage DefaultRootlessImage, which factory.go uses whenever the `rootless` option is
# given without `image` (whatever its value).
ROOTLESS_IMAGE = DEFAULT_IMAGE + "-rootless"
# moby/buildkit Dockerfile, the rootless stage (v0.32.2): USER 1000, ENV HOME, USER; its
# ENTRYPOINT runs buildkitd under rootlesskit, in a user namespace.
ROOTLESS_IMAGE_ENV = {"HOME": "/home/user", "USER": "user"}
NO_SANDBOX = "--oci-worker-no-process-sandbox"


def rootless(node: Node) -> bool:
    return go_bool(node.driver_opts.get("rootless", "")) is True


def store_spec(node: Node) -> tuple[str, list[str], dict[str, str]]:
    """(image, args, env) of the pods buildx would create (factory.go processDriverOpts,
    manifest.go NewDeployment / toRootless: the flags as args, no --config)."""
    opts = node.driver_opts
    image = opts.get("image") or (ROOTLESS_IMAGE if "rootless" in opts else DEFAULT_IMAGE)
    args = [*(node.flags or []), *([NO_SANDBOX] if rootless(node) else [])]
    return image, args, env_options(node)


def config_path(
    node: Node, image: Optional[str], args: list[str], env: dict[str, str]
) -> tuple[str, Optional[str]]:
    """The buildkitd.toml a pod's buildkitd reads, and what to say about it.

    buildx mounts the stored files at /etc/buildkit and passes no --config: a rootful
    buildkitd reads /etc/buildkit/buildkitd.toml; a rootless one (the rootless image, under
    rootlesskit) reads its user's config (buildkitd.default_config_path); a --config in the
    pod's args wins over both.
    """
    given = buildkitd.parse_flags(args).config
    if given:
        return given, None
    rootless_image = "rootless" in (image or "").rsplit(":", 1)[-1]
    if not rootless_image and not rootless(node):
        return buildkitd.DEFAULT_CONFIG_PATH, None
    merged = {**ROOTLESS_IMAGE_ENV, **env}
    version = buildkitd.image_tag_version(image)
    path = buildkitd.default_config_path(True, merged, version)
    if path == buildkitd.DEFAULT_CONFIG_PATH:
        return path, None
    note = f"rootless buildkitd reads {path} (cmd/buildkitd defaultConfigPath)"
    if node.buildkitd_toml is not None:
        note += ", not the buildkitd.toml buildx mounts at /etc/buildkit (it passes no --config)"
    if not rootless_image:
        note += f"; assumed: {image} runs buildkitd rootless as the rootless image does"
    return path, note


def _from_store(node: Node) -> Observed:
    """A node with no pod: what buildx would create from the store."""
    image, args, env = store_spec(node)
    path, note = config_path(node, image, args, env)
    reads_store = path == buildkitd.DEFAULT_CONFIG_PATH
    return Observed(
        image=image,
        cmd=args,
        config_text=node.buildkitd_toml if reads_store else None,
        status="inactive",
        notes=[note] if note else [],
        store_config=reads_store,
        env=env,
    )


def inspect_node(ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
    return inspect_pods(builder, node, kb=ctx.kb, timeout=ctx.timeout, deep=ctx.deep)


def witnesses(cfg: DockerConfig, node: Node) -> list[list[Any]]:
    raise NotCheap("kubernetes builders are checked in full every time")


def inspect_pods(
    builder: Builder, node: Node, *, kb: Knowledge, timeout: float = 20.0, deep: bool = False
) -> list[NodeFacts]:
    """One NodeFacts per pod of the node (named `<node>/<pod>` when there are several)."""
    try:
        pods, label = list_pods(node, min(timeout, LIST_TIMEOUT_S))
    except KubectlError as e:
        return [failed_node(builder, node, str(e))]
    if not pods:
        facts = node_facts(builder, node, node.endpoint, _from_store(node), kb, driver=NAME)
        facts.notes.append(f"no pod with label app={label}: the builder has not been started")
        return [facts]

    results = []
    deadline = time.monotonic() + timeout
    for pod in pods:
        image, store_args, store_env = store_spec(node)
        args = pod.args if pod.args is not None else store_args
        image = pod.image or image
        env = pod.env or store_env
        facts = inspect_pod(
            builder,
            node,
            pod,
            image=image,
            cmd=args,
            env=env,
            config=config_path(node, image, args, env),
            exec_prefix=[*kubectl_base(node), "exec", pod.name, "-c", CONTAINER, "--"],
            kb=kb,
            left=deadline - time.monotonic(),
            timeout=timeout,
            driver=NAME,
            node_label=f"{node.name}/{pod.name}" if len(pods) > 1 else node.name,
            deep=deep,
        )
        results.append(facts)
    return results


def inspect_pod(
    builder: Builder,
    node: Node,
    pod: Pod,
    *,
    image: Optional[str],
    cmd: list[str],
    env: dict[str, str],
    config: tuple[str, Optional[str]],
    exec_prefix: list[str],
    kb: Knowledge,
    left: float,
    timeout: float,
    driver: str,
    node_label: Optional[str] = None,
    deep: bool = False,
) -> NodeFacts:
    """One pod's buildkitd: probed through `exec_prefix + argv` (kubectl exec) when it runs
    and there is time left, else judged from its spec. `config`: the buildkitd.toml it reads,
    and what to say about that."""
    from runtimecheck.probe import incontainer

    where = f"pod {pod.namespace + '/' if pod.namespace else ''}{pod.name}"
    path, note = config
    observed = Observed(
        image=image,
        cmd=cmd,
        config_text=None,
        status="running" if pod.phase == "Running" and pod.running else "stopped",
        notes=[note] if note else [],
        store_config=path == buildkitd.DEFAULT_CONFIG_PATH,
        env=env,
    )
    if observed.status == "running" and left >= MIN_PROBE_S:
        transport = incontainer.command_transport(exec_prefix)
        probe_running(transport, where, node, observed, path, kb, left, deep)
    else:
        if observed.status == "running":
            observed.status = "stopped"
            observed.notes.append(
                f"{where} was not probed: the other pods used up the {timeout:g} s; "
                "judged from its spec"
            )
        else:
            why = pod.phase if pod.phase != "Running" else (pod.waiting or "not running")
            observed.notes.append(f"{where}: buildkitd is {why}; judged from its spec")
        observed.config_text = node.buildkitd_toml if observed.store_config else None
    facts = node_facts(
        builder, node, node.endpoint, observed, kb, driver=driver, node_label=node_label
    )
    facts.notes.append(f"checked in {where}")
    return facts
