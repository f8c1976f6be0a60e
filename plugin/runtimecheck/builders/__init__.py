"""buildx builders: which one a build uses (`selection`, from the `store`), and what each
node really runs (`gather`, through the driver `registry`: one module per buildx driver
implementing `driver.Driver`; `buildkitd_container` is what docker-container and kubernetes
share). `fingerprint` is the cheap change detector for the build preflight."""

from __future__ import annotations

from typing import Optional

from runtimecheck.dockercli import DEFAULT_CONTEXT, DockerConfig, Endpoint, GlobalOptions, resolve
from runtimecheck.errors import RuntimecheckError


def docker_endpoint(cfg: DockerConfig, name_or_host: Optional[str]) -> Endpoint:
    """The daemon a node's stored Endpoint names: a docker context, or a daemon address.

    buildx stores the context name, except for the `default` context, where it stores the
    daemon address it had then. The current endpoint keeps its TLS settings.
    """
    current = cfg.endpoint
    if not name_or_host or name_or_host in (current.context, current.host):
        return current
    if "://" in name_or_host:
        return Endpoint(context=DEFAULT_CONTEXT, host=name_or_host)
    opts = GlobalOptions(config=str(cfg.directory), context=name_or_host)
    try:
        return resolve(opts, env={}).endpoint
    except RuntimecheckError as e:
        raise RuntimecheckError(
            f"the node's docker endpoint {name_or_host!r} cannot be used: {e.message}",
            hint=e.hint,
        ) from None
