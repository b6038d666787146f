"""Where each part of a compose environment is reached from: the suite, the proxy, the service.

A compose environment runs in one of two network setups and every address depends on who asks:

| setup | suite -> anything | proxy -> dependency | service -> proxy |
|---|---|---|---|
| host (no bridge network, CI here) | 127.0.0.1:P | 127.0.0.1:P | 127.0.0.1:P |
| bridge (laptops) | 127.0.0.1:P (published) | <service>:<container port> | <toxiproxy service>:P |

The suite picks every P (free ports on the host) and hands them to Compose as `CHAOS_*` variables;
a proxy listens on the same port inside the Toxiproxy container as on the host, so one number names
it on both sides (docker-compose.chaos.yml).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chaos.env.base import Endpoint
from chaos.env.ports import LOOPBACK, free_port
from chaos.env.urls import dependency_url
from chaos.targetfile import Dependency, DependencyKind, Target

__all__ = ["DependencyPorts", "NetworkMode", "Topology", "compose_variable"]


class NetworkMode(enum.StrEnum):
    """How containers are networked: decided by whether the engine has a bridge network."""

    HOST = "host"       # every container on the host network, bound to 127.0.0.1
    BRIDGE = "bridge"   # the project network, ports published on 127.0.0.1


def compose_variable(dependency: str, suffix: str) -> str:
    """`CHAOS_<DEPENDENCY>_<SUFFIX>`, the Compose variable for a dependency (`my-db` -> `MY_DB`)."""
    return f"CHAOS_{re.sub(r'[^A-Za-z0-9]', '_', dependency).upper()}_{suffix}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyPorts:
    """The two host ports of one dependency: the server itself and the proxy in front of it."""

    dependency: Dependency
    service: str          # the compose service running it
    port: int             # the server (published port in bridge mode)
    proxy_port: int       # the proxy listener

    @property
    def direct(self) -> Endpoint:
        return Endpoint(host=LOOPBACK, port=self.port)

    @property
    def proxied(self) -> Endpoint:
        return Endpoint(host=LOOPBACK, port=self.proxy_port)


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    """Every port of one environment and the addresses derived from them, per network setup."""

    mode: NetworkMode
    sut_port: int
    toxiproxy_port: int
    toxiproxy_service: str
    dependencies: Mapping[str, DependencyPorts]

    @classmethod
    def allocate(cls, target: Target, *, mode: NetworkMode, services: Mapping[str, str],
                 toxiproxy_service: str) -> Topology:
        """Free host ports for the SUT, the proxy API and each dependency (server and proxy)."""
        deps = {name: DependencyPorts(dependency=dep, service=services.get(name, name), port=free_port(),
                                      proxy_port=free_port())
                for name, dep in target.dependencies.items()}
        return cls(mode=mode, sut_port=free_port(), toxiproxy_port=free_port(),
                   toxiproxy_service=toxiproxy_service, dependencies=deps)

    @property
    def toxiproxy_url(self) -> str:
        return f"http://{LOOPBACK}:{self.toxiproxy_port}"

    def proxy_listen(self, name: str) -> str:
        """The listen address of a dependency's proxy, as the Toxiproxy container binds it."""
        host = LOOPBACK if self.mode is NetworkMode.HOST else "0.0.0.0"
        return f"{host}:{self.dependencies[name].proxy_port}"

    def proxy_for_sut(self, name: str) -> Endpoint:
        """A dependency's proxy as the service's container reaches it."""
        host = LOOPBACK if self.mode is NetworkMode.HOST else self.toxiproxy_service
        return Endpoint(host=host, port=self.dependencies[name].proxy_port)

    def template_values(self, *, target_dir: Path, workdir: Path) -> dict[str, str]:
        """The target file's template values for the service's environment (its container's view)."""
        values = {"python": "python", "port": str(self.sut_port), "target_dir": str(target_dir),
                  "workdir": str(workdir)}
        for name, ports in self.dependencies.items():
            end = self.proxy_for_sut(name)
            values[f"{name}.url"] = dependency_url(ports.dependency, end)
            values[f"{name}.host"] = end.host
            values[f"{name}.port"] = str(end.port)
        return values

    def suite_values(self) -> dict[str, str]:
        """Template values from the suite's side: `{port}` and the proxies, all on 127.0.0.1."""
        values = {"port": str(self.sut_port)}
        for name, ports in self.dependencies.items():
            values[f"{name}.url"] = dependency_url(ports.dependency, ports.proxied)
            values[f"{name}.host"] = LOOPBACK
            values[f"{name}.port"] = str(ports.proxy_port)
        return values

    def compose_variables(self, *, sut_env_file: Path) -> dict[str, str]:
        """The `CHAOS_*` variables docker-compose.chaos.yml (or a user's file) interpolates."""
        variables = {"CHAOS_SUT_PORT": str(self.sut_port), "CHAOS_TOXIPROXY_PORT": str(self.toxiproxy_port),
                     "CHAOS_SUT_ENV_FILE": str(sut_env_file)}
        for name, ports in self.dependencies.items():
            variables[compose_variable(name, "PORT")] = str(ports.port)
            variables[compose_variable(name, "PROXY_PORT")] = str(ports.proxy_port)
            dep = ports.dependency
            if dep.kind is DependencyKind.POSTGRES:
                variables[compose_variable(name, "USER")] = dep.user
                variables[compose_variable(name, "PASSWORD")] = dep.password
                variables[compose_variable(name, "DB")] = dep.database
        return variables
