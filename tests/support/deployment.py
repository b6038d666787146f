"""A loopback "deployment" for the attach-mode tests, started by the tests, outside the suite's control.

The reference service (fixtures/sut), its Postgres, Redis and fake external API run as processes
that `deploy/ctl.sh` starts in sessions of their own and knows by pidfile, behind a standalone
`chaos proxy` (a Toxiproxy-compatible server with leases) whose proxies the service is pointed at.
The suite's own pieces are reused only to *prepare* it: a Postgres cluster from the cached template
(LocalPostgres, stopped again before the script takes over) and the service's environment from the
reference target file. The attach backend then starts nothing: it calls ctl.sh, as a user's target
would call systemctl or kubectl. `close()` stops everything by pidfile, then SIGKILLs by PID
whatever is left of what was started here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chaos.env.base import Endpoint
from chaos.env.ports import free_port
from chaos.env.postgres import LocalPostgres
from chaos.env.registry import UNTRACKED
from chaos.env.tools import find_postgres, find_redis_server, postgres_run_as
from chaos.env.urls import http_url, postgres_url, redis_url
from chaos.proxy import ToxiproxyClient
from chaos.targetfile import Dependency, DependencyKind, load_target, render
from chaos.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[2]
CTL = Path(__file__).parent / "deploy" / "ctl.sh"
REFERENCE = ROOT / "fixtures" / "sut" / "chaos.toml"
COMPONENTS = ("postgres", "redis", "external", "sut")
ADMIN_PASSWORD = "adm1n-pa55-never-printed"
"""In the admin DSN (Postgres trusts loopback here, so it is not checked): the secret the tests look
for in every output."""
ADMIN_ENV = "CHAOS_TEST_PG_ADMIN"


@dataclass
class Deployment:
    """The running loopback deployment: where everything is, and its control script."""

    dir: Path
    proxy_url: str
    sut_url: str
    ports: dict[str, int]
    admin_dsn: str
    _proxy: subprocess.Popen[bytes] | None = None
    _pg: LocalPostgres | None = None
    _started: dict[str, list[int]] = field(default_factory=dict)

    @property
    def environ(self) -> dict[str, str]:
        """What a runner needs in its environment to load the attach target ({env.NAME} values)."""
        return {**os.environ, ADMIN_ENV: self.admin_dsn}

    def ctl(self, component: str, action: str, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(self.dir / "ctl.sh"), component, action, *args], capture_output=True, text=True,
                              timeout=timeout_s, check=False, cwd=self.dir)
        if action == "start":
            pid = self.pid(component)
            if pid is not None:
                self._started.setdefault(component, []).append(pid)
        return done

    def pid(self, component: str) -> int | None:
        out = subprocess.run([str(self.dir / "ctl.sh"), component, "pid"], capture_output=True, text=True,
                             timeout=10, check=False, cwd=self.dir).stdout.strip()
        return int(out) if out.isdigit() else None

    def pids(self) -> dict[str, int | None]:
        return {c: self.pid(c) for c in COMPONENTS}

    def wait_healthy(self, timeout_s: float = 60.0) -> None:
        wait_until(lambda: httpx.get(self.sut_url + "/ready", timeout=1.0, trust_env=False).status_code == 200,
                   timeout_s=timeout_s, interval_s=0.2, what="the deployed service ready")

    def write_target(self, *, name: str = "chaos.toml", service_extra: str = "", attach_extra: str = "",
                     service_commands: str | None = None, guards: str = "", contracts: str | None = None) -> Path:
        """The attach target of this deployment (the reference service's contracts, unless `contracts`)."""
        reference = REFERENCE.read_text()
        rest = reference[reference.index("[dependencies.postgres]"):] if contracts is None else (
            '[dependencies.postgres]\nkind = "postgres"\n\n[dependencies.redis]\nkind = "redis"\n\n'
            f'[dependencies.external]\nkind = "http"\n\n{contracts}')
        commands = service_commands if service_commands is not None else SERVICE_COMMANDS
        text = f'''[service]
url = "{self.sut_url}"
health = "/health"
ready = "/ready"
shutdown_grace_s = 10
defects_env = "SUT_DEFECTS"
{service_extra}

{rest}

{guards}

[attach]
toxiproxy_url = "{self.proxy_url}"
timeout_s = 30
ready_timeout_s = 30
{attach_extra}

[attach.service]
{commands}

[attach.dependencies.postgres]
admin_dsn = "{{env.{ADMIN_ENV}}}"
{_dependency_commands()}

[attach.dependencies.redis]
admin_url = "{redis_url(Endpoint(host='127.0.0.1', port=self.ports['redis']))}"
{_dependency_commands()}

[attach.dependencies.external]
control_url = "{http_url(Endpoint(host='127.0.0.1', port=self.ports['external']))}"
{_dependency_commands()}
'''
        path = self.dir / name
        path.write_text(text)
        return path

    def ensure_healthy(self) -> None:
        """Before a test: every part running, the proxies clean and enabled (what a test left, repaired)."""
        for component in ("postgres", "redis", "external", "sut"):
            if self.pid(component) is None:
                self.ctl(component, "start")
        with ToxiproxyClient(self.proxy_url) as client:
            for name, info in client.proxies().items():
                for toxic in info.toxics:
                    client.delete_toxic(name, toxic.name)
                if not info.enabled or not info.accepting:
                    client.update_proxy(name, enabled=True, accept=True)
        try:
            self.wait_healthy(timeout_s=20.0)
        except WaitTimeout:   # a run that died with a defect switched on: the healthy service again
            subprocess.run([str(self.dir / "ctl.sh"), "sut", "redeploy"], capture_output=True, timeout=90,
                           check=False, cwd=self.dir, env={**os.environ, "SUT_DEFECTS": ""})
            self.wait_healthy()

    def proxy_state(self) -> dict[str, tuple[object, ...]]:
        """Each proxy's listener, upstream, switch and toxics, as the Toxiproxy reports them."""
        with ToxiproxyClient(self.proxy_url) as client:
            return {name: (i.listen, i.upstream, i.enabled, i.accepting, tuple(t.name for t in i.toxics), i.leases)
                    for name, i in client.proxies().items()}

    def close(self) -> None:
        """Stop it all (ctl.sh, then SIGKILL by PID for anything started here that survived)."""
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            subprocess.run([str(self.dir / "ctl.sh"), "all", "stop"], capture_output=True, timeout=90, check=False,
                           cwd=self.dir)
        for pids in self._started.values():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if self._pg is not None:
            self._pg.close()
        if self._proxy is not None and self._proxy.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proxy.pid, signal.SIGTERM)
            try:
                self._proxy.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proxy.pid, signal.SIGKILL)
                self._proxy.wait(5)


SERVICE_COMMANDS = """pid = "./ctl.sh sut pid"
exit_code = "./ctl.sh sut exit_code"
signal = "./ctl.sh sut signal {signal}"
start = "{target_dir}/ctl.sh sut start"
stop = "./ctl.sh sut stop"
restart = "./ctl.sh sut restart"
pause = "./ctl.sh sut pause"
resume = "./ctl.sh sut resume"
redeploy = "./ctl.sh sut redeploy"
logs = "./ctl.sh sut logs"
"""


def processes(*, parent: int | None = None, session: int | None = None) -> list[int]:
    """Live processes (zombies excluded) whose parent, or whose session, is the one given."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and (parent is None or int(fields[1]) == parent) and (
                    session is None or int(fields[3]) == session):
                found.append(int(entry.name))
    return found


def _dependency_commands() -> str:
    actions = ("start", "stop", "restart", "kill", "pause", "resume", "pid")
    return "\n".join(f'{a} = "./ctl.sh {{name}} {a}"' for a in actions) + '\nsignal = "./ctl.sh {name} signal {signal}"'


def _standalone_proxy(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    ready = directory / "proxy.ready"
    with (directory / "proxy.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "chaos", "proxy", "--host", "127.0.0.1", "--port", "0",
                                 "--metrics", "--ready-file", str(ready)], start_new_session=True, stdout=log,
                                stderr=log, cwd=ROOT)
    wait_until(lambda: ready.is_file() or proc.poll() is not None, timeout_s=20, what="chaos proxy ready")
    if proc.poll() is not None:
        raise RuntimeError(f"chaos proxy exited at start: {(directory / 'proxy.log').read_text()[-2000:]}")
    return proc, f"http://{ready.read_text().strip()}"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@contextlib.contextmanager
def running_deployment(directory: Path | None = None) -> Iterator[Deployment]:
    """Start the loopback deployment in `directory` (a new temp dir by default) and stop it after."""
    directory = Path(tempfile.mkdtemp(prefix="chaos-deploy-")) if directory is None else directory
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o711)   # Postgres runs as another user
    ports = {"postgres": free_port(), "redis": free_port(), "external": free_port(), "sut": free_port()}
    deployment = Deployment(dir=directory, proxy_url="", sut_url=f"http://127.0.0.1:{ports['sut']}", ports=ports,
                            admin_dsn=f"host=127.0.0.1 port={ports['postgres']} user=postgres dbname=postgres "
                                      f"password={ADMIN_PASSWORD}")
    try:
        _prepare(deployment)
        for component in ("postgres", "redis", "external", "sut"):
            done = deployment.ctl(component, "start")
            if done.returncode != 0:
                raise RuntimeError(f"ctl.sh {component} start failed: {done.stdout}{done.stderr}")
        deployment.wait_healthy()
        yield deployment
    finally:
        deployment.close()
        shutil.rmtree(directory, ignore_errors=True)


def _prepare(deployment: Deployment) -> None:
    directory = deployment.dir
    tools = find_postgres()
    run_as = postgres_run_as()
    reference = load_target(REFERENCE)
    dep = reference.dependencies["postgres"]
    pg = LocalPostgres(dependency=Dependency(name="postgres", kind=DependencyKind.POSTGRES, database=dep.database,
                                             user=dep.user, password=dep.password),
                       dir=directory / "pg", port=deployment.ports["postgres"], tracker=UNTRACKED, tools=tools,
                       run_as=run_as)
    deployment._pg = pg
    pg.start()     # a fresh cluster with the service's role and database ...
    pg.stop()      # ... which ctl.sh runs from now on
    deployment._proxy, deployment.proxy_url = _standalone_proxy(directory)
    listen: dict[str, Endpoint] = {}
    with ToxiproxyClient(deployment.proxy_url) as client:
        for name in ("postgres", "redis", "external"):
            info = client.create_proxy(name, upstream=f"127.0.0.1:{deployment.ports[name]}", listen="127.0.0.1:0")
            host, _, port = info.listen.rpartition(":")
            listen[name] = Endpoint(host=host, port=int(port))
    values = {"port": str(deployment.ports["sut"]),
              "postgres.url": postgres_url(listen["postgres"], user=dep.user, password=dep.password,
                                           database=dep.database),
              "redis.url": redis_url(listen["redis"]), "external.url": http_url(listen["external"])}
    service_env: Mapping[str, str] = {k: render(v, values) for k, v in reference.service.env.items()}
    settings = {
        "PG_BIN": str(tools.bin_dir), "PG_DATA": str(pg.data_dir), "PG_PORT": str(deployment.ports["postgres"]),
        "PG_RUN_AS": f"setpriv --reuid={run_as.uid} --regid={run_as.gid} --clear-groups" if run_as else "",
        "REDIS_SERVER": str(find_redis_server()), "REDIS_PORT": str(deployment.ports["redis"]),
        "EXTERNAL_PORT": str(deployment.ports["external"]), "PYTHON": sys.executable,
        "SUT_CWD": str(ROOT / "fixtures"), "PYTHONUNBUFFERED": "1",
    }
    lines = [f"{k}={_quote(v)}" for k, v in settings.items()]
    lines += [f"export {k}={_quote(v)}" for k, v in service_env.items()]
    (directory / "deploy.env").write_text("\n".join(lines) + "\nexport PYTHONUNBUFFERED\n")
    shutil.copy(CTL, directory / "ctl.sh")
    os.chmod(directory / "ctl.sh", 0o755)
