"""`[attach]`: the service already runs somewhere; the suite starts nothing and drives what is there.

    [attach]
    toxiproxy_url = "http://127.0.0.1:8474"   # the Toxiproxy in front of the dependencies ($TOXIPROXY_URL)
    timeout_s = 60                            # the bound of every command (default)
    ready_timeout_s = 60                      # how long readiness may take after a command (default)

    [attach.service]                          # lifecycle commands of the service: all optional
    pid = "cat /run/app.pid"                  # prints an integer identity while it runs (PID, restart count)
    exit_code = "cat /run/app.exit"           # prints how the run that just ended exited
    signal = "kill -{signal} $(cat /run/app.pid)"
    start = "systemctl start app"
    redeploy = "./redeploy.sh"                # runs with --chaos-sut-env in its environment (chaos matrix)

    [attach.dependencies.postgres]
    proxy = "postgres"                        # its proxy's name on the Toxiproxy (default: the name)
    admin_dsn = "{env.PG_ADMIN_DSN}"          # postgres: admin access for the DB-side faults
    stop = "systemctl stop postgresql"        # also start, restart, kill, signal, pause, resume, pid, ready

A command is a string (run by /bin/sh -c), an array (argv, no shell) or a table `{ run = ..., timeout_s
= N }`. Templates: `{target_dir}`, `{name}` (the dependency's name, "service"), `{env.NAME}` (a secret,
masked in every output) and, in `signal` commands only, `{signal}` (TERM, KILL, STOP...). Parsed here
into values; `chaos.env.attach` runs them.
"""

from __future__ import annotations

import difflib
import enum
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from chaos.targetfile._addresses import check_url, is_loopback
from chaos.targetfile._fields import Problems, describe, describe_key
from chaos.targetfile._templating import TemplateScope
from chaos.targetfile.guards import GuardSpec
from chaos.targetfile.model import Dependency, DependencyKind, RestartRule
from chaos.targetfile.templates import ENV_PREFIX, TemplateError, render, render_some, template_names

__all__ = [
    "ATTACH_DEFAULT_READY_TIMEOUT_S",
    "ATTACH_DEFAULT_TIMEOUT_S",
    "Action",
    "AttachSpec",
    "AttachedDependency",
    "AttachedService",
    "Command",
    "parse_attach",
]

ATTACH_DEFAULT_TIMEOUT_S: Final = 60.0
"""A command's bound unless it says otherwise: `kubectl rollout restart` plus its status wait fits."""
ATTACH_DEFAULT_READY_TIMEOUT_S: Final = 60.0
"""How long a component may take to answer its readiness check after a command."""
_SHELL: Final = ("/bin/sh", "-c")
_ATTACH_KEYS: Final = ("toxiproxy_url", "timeout_s", "ready_timeout_s", "service", "dependencies")


class Action(enum.StrEnum):
    """What a declared command does. Actions change the deployment; the rest only ask."""

    RESTART = "restart"
    STOP = "stop"
    START = "start"
    KILL = "kill"            # a crash: SIGKILL, or the orchestrator's force kill
    SIGNAL = "signal"        # deliver {signal}
    PAUSE = "pause"          # freeze: connections hang
    RESUME = "resume"
    REDEPLOY = "redeploy"    # the service only: again, with --chaos-sut-env in the command's environment
    PID = "pid"              # query: an integer identity of the running instance; nothing when down
    EXIT_CODE = "exit_code"  # query (the service only): how the run that just ended exited
    READY = "ready"          # query (dependencies): exit 0 once it serves
    LOGS = "logs"            # query (the service only): its log, for the journal

    @property
    def changes_things(self) -> bool:
        return self not in (Action.PID, Action.EXIT_CODE, Action.READY, Action.LOGS)


_SERVICE_ACTIONS: Final = tuple(a for a in Action if a is not Action.READY)
_DEPENDENCY_ACTIONS: Final = tuple(a for a in Action if a not in (Action.REDEPLOY, Action.EXIT_CODE, Action.LOGS))
_LIFECYCLE: Final = frozenset({Action.RESTART, Action.STOP, Action.START, Action.KILL, Action.SIGNAL,
                               Action.PAUSE, Action.RESUME})
_KIND_KEYS: Final = {DependencyKind.POSTGRES: "admin_dsn", DependencyKind.REDIS: "admin_url",
                     DependencyKind.HTTP: "control_url"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One declared command, with `{env.NAME}`, `{target_dir}` and `{name}` already resolved.

    `parts` is the argv (for a string, the one shell script `/bin/sh -c` runs); a `signal` command
    still holds `{signal}`, filled in by `argv()`. `source` is where it was declared, for messages.
    """

    action: Action
    parts: tuple[str, ...]
    shell: bool
    timeout_s: float
    source: str

    def argv(self, *, signal: str | None = None) -> list[str]:
        values = {"signal": signal} if signal is not None else {}
        rendered = [render(part, values) for part in self.parts]
        return [*_SHELL, rendered[0]] if self.shell else rendered

    def display(self, *, signal: str | None = None) -> str:
        """The command as a person would type it (the shell script itself, or the argv quoted)."""
        argv = self.argv(signal=signal)
        return argv[2] if self.shell else shlex.join(argv)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedService:
    """`[attach.service]`: the running service's commands (each optional) and its readiness bound."""

    commands: Mapping[Action, Command] = field(default_factory=lambda: MappingProxyType({}))
    ready_timeout_s: float = ATTACH_DEFAULT_READY_TIMEOUT_S

    def command(self, action: Action) -> Command | None:
        return self.commands.get(action)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedDependency:
    """`[attach.dependencies.<name>]`: the proxy in front of it, admin access, its commands.

    `admin` is the kind's way in: a Postgres DSN (`admin_dsn`), a Redis URL (`admin_url`) or the
    fake API's control URL (`control_url`); without it the faults that need it are skipped.
    """

    name: str
    kind: DependencyKind
    proxy: str
    admin: str | None = None
    commands: Mapping[Action, Command] = field(default_factory=lambda: MappingProxyType({}))
    ready_timeout_s: float = ATTACH_DEFAULT_READY_TIMEOUT_S

    def command(self, action: Action) -> Command | None:
        return self.commands.get(action)

    @property
    def admin_key(self) -> str:
        return _KIND_KEYS[self.kind]

    @property
    def has_readiness(self) -> bool:
        """A readiness check exists: a `ready` command, or the admin access of its kind."""
        return Action.READY in self.commands or self.admin is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachSpec:
    """The `[attach]` table: where the Toxiproxy is and what the suite may run on the deployment."""

    toxiproxy_url: str | None
    service: AttachedService
    dependencies: Mapping[str, AttachedDependency]
    timeout_s: float = ATTACH_DEFAULT_TIMEOUT_S

    def dependency(self, name: str) -> AttachedDependency:
        return self.dependencies[name]


def parse_attach(problems: Problems, raw: Mapping[str, Any], *, target_dir: Path, scope: TemplateScope,
                 deps: Mapping[str, Dependency], guards: GuardSpec, environ: Mapping[str, str]
                 ) -> AttachSpec | None:
    """`[attach]` (None when absent: the suite manages the service). Also checks `[service]` for what
    attach mode cannot honour (a command, an environment, a `{port}`) and the safety rule: a target
    that allows remote addresses must declare at least one stop condition."""
    table = problems.table(raw, "attach", "")
    if table is None:
        return None
    where = "[attach]"
    problems.unknown_keys(table, where, _ATTACH_KEYS)
    service_raw: Mapping[str, Any] = raw["service"] if isinstance(raw.get("service"), Mapping) else {}
    allow_remote = service_raw.get("allow_remote") is True
    _check_service(problems, service_raw)
    timeout_s = problems.positive_number(table, "timeout_s", where, default=ATTACH_DEFAULT_TIMEOUT_S)
    ready_s = problems.positive_number(table, "ready_timeout_s", where, default=ATTACH_DEFAULT_READY_TIMEOUT_S)
    commands = _CommandReader(problems, scope, target_dir=target_dir, timeout_s=timeout_s)
    toxiproxy = _toxiproxy_url(problems, table, scope, environ, needed=bool(deps), allow_remote=allow_remote)
    service = _service(problems, table, commands, ready_s, service_raw)
    dependencies = _dependencies(problems, table, commands, ready_s, deps, allow_remote=allow_remote)
    if allow_remote and not guards:
        problems.add("[guards]", "an attached target with [service].allow_remote = true is someone's deployment: "
                                 "declare at least one stop condition ([guards.error_rate], [guards.readiness] "
                                 "or [guards.probes.NAME]) so that a run which hurts it stops at once")
    return AttachSpec(toxiproxy_url=toxiproxy, service=service, dependencies=MappingProxyType(dependencies),
                      timeout_s=timeout_s)


def _check_service(problems: Problems, spec: Mapping[str, Any]) -> None:
    for key in ("command", "cwd", "env"):
        if key in spec:
            problems.add(f"[service].{key}", "not used in attach mode: the suite starts nothing, the deployment "
                                             "runs the service (remove it, or remove [attach])")
    url = spec.get("url")
    if isinstance(url, str):
        try:
            names = [n for n in template_names(url) if not n.startswith(ENV_PREFIX)]
        except TemplateError:
            names = []   # the loader reports a malformed template
        if names:
            problems.add("[service].url", f"{{{names[0]}}} has no value in attach mode: give the running "
                                          "service's URL (only {env.NAME} templates are resolved)")


def _toxiproxy_url(problems: Problems, table: Mapping[str, Any], scope: TemplateScope,
                   environ: Mapping[str, str], *, needed: bool, allow_remote: bool) -> str | None:
    key = "[attach].toxiproxy_url"
    value = problems.string(table, "toxiproxy_url", "[attach]")
    if value is not None:
        value = scope.check(problems, key, value, literal_only=True)
    elif environ.get("TOXIPROXY_URL"):
        value, key = environ["TOXIPROXY_URL"], "TOXIPROXY_URL (environment, for [attach].toxiproxy_url)"
    elif needed:
        problems.add(key, "missing: name the Toxiproxy in front of the dependencies (a real Toxiproxy or "
                          "`chaos proxy`), or set TOXIPROXY_URL")
        return None
    if value is not None and not check_url(problems, key, value, allow_remote=allow_remote):
        return None
    return value


def _service(problems: Problems, table: Mapping[str, Any], commands: _CommandReader, ready_s: float,
             service_raw: Mapping[str, Any]) -> AttachedService:
    where = "[attach.service]"
    spec = problems.table(table, "service", "[attach]") or {}
    problems.unknown_keys(spec, where, (*(a.value for a in _SERVICE_ACTIONS), "ready_timeout_s"))
    found = commands.read_all(spec, where, _SERVICE_ACTIONS, name="service")
    if service_raw.get("restart") == RestartRule.ALWAYS.value and Action.RESTART not in found and not (
            Action.STOP in found and Action.START in found):
        problems.add("[service].restart", "'always' restarts the service before every experiment: declare "
                                          "[attach.service].restart (or stop and start)")
    if (Action.PID in found) != (Action.EXIT_CODE in found):
        have, missing = (Action.PID, Action.EXIT_CODE) if Action.PID in found else (Action.EXIT_CODE, Action.PID)
        problems.add(f"{where}.{have.value}", f"needs {missing.value} too: the suite watches the service through "
                                              "both (an exit is seen when the identity pid prints changes or goes "
                                              "away, and exit_code says how that run ended)")
    return AttachedService(commands=MappingProxyType(found),
                           ready_timeout_s=problems.positive_number(spec, "ready_timeout_s", where, default=ready_s))


def _dependencies(problems: Problems, table: Mapping[str, Any], commands: _CommandReader, ready_s: float,
                  deps: Mapping[str, Dependency], *, allow_remote: bool) -> dict[str, AttachedDependency]:
    named = problems.table(table, "dependencies", "[attach]") or {}
    for name in named:
        if name not in deps:
            close = difflib.get_close_matches(str(name), list(deps), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(f"[attach.dependencies.{describe_key(name)}]",
                         f"no such dependency{hint} (declared in [dependencies]: {', '.join(deps) or 'none'})")
    found: dict[str, AttachedDependency] = {}
    for name, dep in deps.items():
        where = f"[attach.dependencies.{name}]"
        spec = named.get(name, {})
        if not isinstance(spec, Mapping):
            problems.add(where, f"expected a table, got {describe(spec)}")
            continue
        admin_key = _KIND_KEYS[dep.kind]
        others = set(_KIND_KEYS.values()) - {admin_key}
        for key in spec:
            if key in others:
                owner = next(k for k, v in _KIND_KEYS.items() if v == key)
                problems.add(f"{where}.{key}", f"only for kind {owner.value!r} (this one is {dep.kind.value!r})")
        problems.unknown_keys({k: v for k, v in spec.items() if k not in others}, where,
                              ("proxy", admin_key, "ready_timeout_s", *(a.value for a in _DEPENDENCY_ACTIONS)))
        proxy = problems.string(spec, "proxy", where, default=name) or name
        admin = problems.string(spec, admin_key, where)
        if admin is not None:
            admin = commands.scope.check(problems, f"{where}.{admin_key}", admin, literal_only=True)
        if admin is not None and not _check_admin(problems, f"{where}.{admin_key}", dep.kind, admin,
                                                  allow_remote=allow_remote):
            admin = None
        if admin is not None:
            _remember_password(commands.scope, dep.kind, admin)
        cmds = commands.read_all(spec, where, _DEPENDENCY_ACTIONS, name=name)
        attached = AttachedDependency(
            name=name, kind=dep.kind, proxy=proxy, admin=admin, commands=MappingProxyType(cmds),
            ready_timeout_s=problems.positive_number(spec, "ready_timeout_s", where, default=ready_s))
        lifecycle = sorted(a.value for a in cmds if a in _LIFECYCLE)
        if lifecycle and not attached.has_readiness:
            problems.add(where, f"{', '.join(lifecycle)} need a readiness check to know when it is back: give "
                                f"`ready` (a command that exits 0 once it serves) or `{admin_key}`")
        found[name] = attached
    return found


def _check_admin(problems: Problems, key: str, kind: DependencyKind, value: str, *, allow_remote: bool) -> bool:
    """The admin address names a host: loopback unless remote is allowed (the URL rule of the file)."""
    if kind is DependencyKind.HTTP:
        return check_url(problems, key, value, allow_remote=allow_remote)
    if kind is DependencyKind.REDIS:
        return check_url(problems, key, value, allow_remote=allow_remote, schemes=("redis", "rediss"),
                         shown="the admin URL")   # it may hold a password: never quoted
    import psycopg

    try:
        params = psycopg.conninfo.conninfo_to_dict(value)
    except psycopg.ProgrammingError:
        # the DSN may hold a password: never quote it
        problems.add(key, "not a valid Postgres connection string (a URL postgresql://... or key=value pairs)")
        return False
    hosts = [h for h in str(params.get("host") or "").split(",") if h] or ["localhost"]
    return all(h.startswith("/") or _loopback_or_allowed(problems, key, h, allow_remote=allow_remote)
               for h in hosts)


def _remember_password(scope: TemplateScope, kind: DependencyKind, value: str) -> None:
    """A password written into an admin DSN or URL is masked like an `{env.NAME}` value."""
    password: str | None = None
    if kind is DependencyKind.POSTGRES:
        import psycopg

        found = psycopg.conninfo.conninfo_to_dict(value).get("password")
        password = None if found is None else str(found)
    else:
        password = urlsplit(value).password
    if password:
        scope.remember_secret(str(password))


def _loopback_or_allowed(problems: Problems, key: str, host: str, *, allow_remote: bool) -> bool:
    if allow_remote or is_loopback(host.strip("[]")):
        return True
    problems.add(key, f"host {host!r} is not a loopback address; the suite only sends traffic to 127.0.0.0/8 "
                      "unless you set allow_remote = true in [service]")
    return False


class _CommandReader:
    """Reads command values, resolving `{env.NAME}` (remembered as secrets), `{target_dir}`, `{name}`."""

    def __init__(self, problems: Problems, scope: TemplateScope, *, target_dir: Path, timeout_s: float) -> None:
        self.problems = problems
        self.scope = scope
        self.target_dir = target_dir
        self.timeout_s = timeout_s

    def read_all(self, spec: Mapping[str, Any], where: str, actions: tuple[Action, ...], *, name: str
                 ) -> dict[Action, Command]:
        found: dict[Action, Command] = {}
        for action in actions:
            if action.value in spec:
                command = self.read(spec[action.value], f"{where}.{action.value}", action, name=name)
                if command is not None:
                    found[action] = command
        return found

    def read(self, value: Any, key: str, action: Action, *, name: str) -> Command | None:
        timeout_s = self.timeout_s
        if isinstance(value, Mapping):
            self.problems.unknown_keys(value, key, ("run", "timeout_s"))
            timeout_s = self.problems.positive_number(value, "timeout_s", key, default=timeout_s)
            if "run" not in value:
                self.problems.add(f"{key}.run", "missing (the command: a string for /bin/sh -c, or an array)")
                return None
            value = value["run"]
        if isinstance(value, str) and value.strip():
            pieces, shell = [value], True
        elif isinstance(value, list) and value and all(isinstance(p, str) and p for p in value):
            pieces, shell = list(value), False
        else:
            self.problems.add(key, "expected a command: a string (run by /bin/sh -c), an array of strings (argv), "
                                   f"or a table {{ run = ..., timeout_s = N }}; got {describe(value)}")
            return None
        names = ["target_dir", "name", *(("signal",) if action is Action.SIGNAL else ())]
        local = TemplateScope(names, self.scope.environ)
        parts: list[str] = []
        for index, piece in enumerate(pieces):
            if "\0" in piece:
                self.problems.add(key, "a command cannot contain a NUL byte")
                return None
            checked = local.check(self.problems, key if shell else f"{key}[{index}]", piece)
            if checked is None:
                return None
            parts.append(_keep_signal(checked, {"target_dir": str(self.target_dir), "name": name}))
        self.scope.secrets.update(local.secrets)
        if action is Action.SIGNAL and not any("signal" in template_names(p) for p in parts):
            self.problems.add(key, "a signal command must contain {signal} (the name: TERM, KILL, STOP...)")
            return None
        return Command(action=action, parts=tuple(parts), shell=shell, timeout_s=timeout_s, source=key)


def _keep_signal(template: str, values: Mapping[str, str]) -> str:
    """`template` with the load-time names filled and `{signal}` kept for the run."""
    return render_some(template, values)
