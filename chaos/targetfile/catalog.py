"""The contract catalog as data: each contract's parameters, the faults it injects and the checks it makes.

One table serves the loader (what a `[contracts.<name>]` table may hold, typed and defaulted), the
experiments (names and defaults, never literals), `chaos contracts` and the generated
docs/contracts.md, so they cannot drift apart (`tests/targetfile/test_contract_docs.py`).
An answer parameter names a convention of the service (how a degraded or not-ready answer looks);
its default comes from the target's `[answers]`, then from `ANSWER_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from chaos.answers import Answer, JsonPath, JsonValue, Not, Outcome, Status
from chaos.targetfile.model import DependencyKind
from chaos.targetfile.params import Derived, Param, ParamKind, Role

__all__ = ["ANSWER_DEFAULTS", "ANSWER_MEANINGS", "CONTRACTS", "RENAMED", "Check", "Contract"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One check an experiment of the contract makes: `name` is the verdict part it reports."""

    name: str
    accepts: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    name: str
    summary: str
    faults: tuple[str, ...]
    checks: tuple[Check, ...]
    params: Mapping[str, Param]
    needs: str = ""          # what the target must have besides the parameters (else: skipped)

    def answers(self) -> tuple[str, ...]:
        """The names of the answer conventions this contract judges by."""
        return tuple(p.name for p in self.params.values() if p.kind is ParamKind.ANSWER)


def _status(*items: int | str) -> Status:
    codes = frozenset(i for i in items if isinstance(i, int))
    classes = frozenset(int(i[0]) for i in items if isinstance(i, str) and i.endswith("xx"))
    outcomes = frozenset(Outcome(i) for i in items if isinstance(i, str) and not i.endswith("xx"))
    return Status(codes=codes, classes=classes, outcomes=outcomes)


ANSWER_DEFAULTS: Final[Mapping[str, Answer | None]] = MappingProxyType({
    "healthy": _status("2xx"),
    "degraded": JsonValue(path=JsonPath(text="degraded", segments=("degraded",)), equals=True),
    "cached": None,
    "failed_fast": Not(part=_status("2xx")),
    "not_ready": _status(503, "refused", "reset"),
    "locked": _status(423, 429),
    "won": _status(200, 201),
    "lost": _status(409),
})
"""The conventions most services follow; a target overrides any of them in `[answers]` (for every
contract) or inside one `[contracts.<name>]` table."""

ANSWER_MEANINGS: Final[Mapping[str, str]] = MappingProxyType({
    "healthy": "an answer the service gives when all is well",
    "degraded": "an answer served by a fallback (external API down or cut off, breaker open); judged "
                "together with healthy",
    "cached": "an answer served from the cache; without it, the 'cache used again' check is skipped",
    "failed_fast": "a refusal the service gives when it cannot serve (judged with its latency budget)",
    "not_ready": "a readiness answer while the service cannot serve; a refused or reset connection "
                 "(a closed listener) counts as not ready",
    "locked": "the answer of a locked-out login",
    "won": "the answer of the one request that wins a race",
    "lost": "the answer of every request that loses it",
})

_S, _C, _MS = ParamKind.SECONDS, ParamKind.COUNT, ParamKind.MILLISECONDS
_REQ, _DEP, _ANS, _PROC = ParamKind.REQUEST, ParamKind.DEPENDENCY, ParamKind.ANSWER, ParamKind.PROCESS


def _p(name: str, kind: ParamKind, role: Role, doc: str, *, default: object = None, required: bool = False,
       dep: DependencyKind | None = None) -> Param:
    return Param(name=name, kind=kind, role=role, doc=doc, default=default, required=required,
                 dependency_kind=dep)


def _request(doc: str = "the request the experiment sends", name: str = "request") -> Param:
    return _p(name, _REQ, Role.SUBJECT, doc, required=True)


def _dependency(kind: DependencyKind, doc: str) -> Param:
    return _p("dependency", _DEP, Role.SUBJECT, doc, required=True, dep=kind)


def _answer(name: str) -> Param:
    return _p(name, _ANS, Role.SUBJECT, ANSWER_MEANINGS[name])


def _recover(default: float = 5.0) -> Param:
    return _p("recover_within_s", _S, Role.BUDGET, "how soon after the heal the service must answer healthy "
              "again, and stay so", default=default)


def _contract(name: str, summary: str, *, faults: tuple[str, ...], checks: tuple[Check, ...],
              params: tuple[Param, ...], needs: str = "") -> Contract:
    return Contract(name=name, summary=summary, faults=faults, checks=checks,
                    params=MappingProxyType({p.name: p for p in params}), needs=needs)


_PG, _RD, _HT = DependencyKind.POSTGRES, DependencyKind.REDIS, DependencyKind.HTTP
_STEADY_AFTER = Check(name="steady state after", accepts="after the heal, the steady-state requests answer "
                                                          "healthy within [service].healthy_within_s")

_CATALOG = (
    _contract(
        "pool_error_survival",
        "A broken pooled DB connection does not exit the process, and requests succeed again.",
        faults=("the service's idle and busy Postgres backends terminated (pg_terminate_backend), with idle "
                "pooled connections made sure to exist first",
                "reset_peer on the DB proxy (upstream) for 1 s"),
        checks=(Check(name="survives", accepts="every watched process alive from the first fault to the end"),
                Check(name="recovers_within", accepts="a healthy answer within recover_within_s (+ margin) of "
                                                      "the heal, and healthy from then on"),
                _STEADY_AFTER),
        params=(_request(), _dependency(_PG, "the Postgres the service's pool connects to"), _recover(),
                _answer("healthy")),
    ),
    _contract(
        "db_restart",
        "While Postgres restarts, requests fail fast instead of hanging, only during the outage, and "
        "succeed again soon after.",
        faults=("Postgres stopped under load for the hold rule's time (docs/timing.md), then started",),
        checks=(Check(name="survives", accepts="every watched process alive through the outage"),
                Check(name="errors_only_within", accepts="answers that are not healthy only between the stop "
                                                         "and the restart plus recover_within_s + fail_within_s"),
                Check(name="bounded", accepts="every request started in the outage answered (healthy or not) "
                                              "within fail_within_s (+ margin)"),
                Check(name="recovers_within", accepts="healthy within recover_within_s of the restart"),
                _STEADY_AFTER),
        params=(_request(), _dependency(_PG, "the Postgres to restart"),
                _p("fail_within_s", _S, Role.BUDGET, "how fast a request must come back while the DB is down "
                   "(a pool or connect timeout of the service enforces it)", default=2.0),
                _recover(), _answer("healthy")),
    ),
    _contract(
        "readiness",
        "Readiness reports not ready while the DB is unreachable, and ready again after; liveness stays "
        "healthy throughout.",
        faults=("the DB proxy disabled (connections refused)",),
        checks=(Check(name="ready_flips", accepts="liveness healthy throughout; readiness not_ready within "
                                                  "flip_within_s (+ margin) and not ready until the heal; "
                                                  "readiness healthy within recover_within_s (+ margin) of the "
                                                  "heal"),),
        params=(_dependency(_PG, "the dependency readiness must reflect"),
                _p("flip_within_s", _S, Role.BUDGET, "how soon readiness must report not ready", default=2.0),
                _recover(), _answer("healthy"), _answer("not_ready")),
        needs="a readiness endpoint ([service].ready)",
    ),
    _contract(
        "cache_fallback",
        "Without Redis, cached endpoints are served from the DB within a latency budget, and the cache is "
        "used again after Redis is back.",
        faults=("Redis SIGKILLed (connections refused)", "Redis blackholed: timeout toxic both ways"),
        checks=(Check(name="all_succeed", accepts="every request started in the fault answered healthy"),
                Check(name="bounded", accepts="every request started in the fault answered within "
                                              "latency_budget_s (+ margin)"),
                Check(name="recovers_within", accepts="healthy within recover_within_s (+ margin) of the heal, "
                                                      "and from then on"),
                Check(name="cache used again", accepts="a healthy, cached answer within recover_within_s "
                                                       "(+ margin) of the heal (skipped when no cached answer is "
                                                       "declared)")),
        params=(_request(), _dependency(_RD, "the Redis the service caches in"),
                _p("latency_budget_s", _S, Role.BUDGET, "how fast a fallback answer must come", default=1.0),
                _recover(), _answer("healthy"), _answer("cached")),
    ),
    _contract(
        "external_timeout",
        "A slow or hung external API is cut off by the service's timeout: a degraded answer within it "
        "instead of a wait.",
        faults=("the external API answers slower than the timeout (hold rule)", "the external API hangs"),
        checks=(Check(name="bounded", accepts="every request started in the fault answered within "
                                              "timeout_s (+ margin)"),
                Check(name="falls_back", accepts="every request started and answered in the fault answered "
                                                 "healthy and degraded")),
        params=(_request(), _dependency(_HT, "the fake external API the service calls"),
                _p("timeout_s", _S, Role.SETTING, "the service's timeout on its external call", required=True),
                _answer("healthy"), _answer("degraded")),
    ),
    _contract(
        "circuit_breaker",
        "When the external API fails, a circuit breaker stops calling it (half-open probes a reset timeout "
        "apart), answers degrade fast, and it closes again after.",
        faults=("the external API answers 503",),
        checks=(Check(name="calls_bounded", accepts="upstream calls in the fault at most failure_threshold "
                                                    "+ requests in flight + one probe per reset timeout"),
                Check(name="calls_spaced", accepts="once open, upstream calls at least reset_timeout_s "
                                                   "(x0.9) apart and at most reset_timeout_s (+ margin)"),
                Check(name="falls_back", accepts="every request started and answered in the fault answered "
                                                 "healthy and degraded"),
                Check(name="recovers_within", accepts="healthy and not degraded within reset_timeout_s "
                                                      "(+ margin) + 1 s of the heal")),
        params=(_request(), _dependency(_HT, "the fake external API the service calls"),
                _p("failure_threshold", _C, Role.SETTING, "failures that open the breaker", required=True),
                _p("reset_timeout_s", _S, Role.SETTING, "how long the breaker stays open before a half-open "
                   "probe", required=True),
                _answer("healthy"), _answer("degraded")),
    ),
    _contract(
        "retry_backoff",
        "Calls the external API refuses with 429 are retried a bounded number of times, spaced at least "
        "Retry-After apart, with gaps that do not shrink.",
        faults=("the external API answers 429 with Retry-After: retry_after_s",),
        checks=(Check(name="retries_back_off", accepts="at most max_attempts upstream calls per request; gaps "
                                                       ">= retry_after_s and not shrinking"),),
        params=(_request(), _dependency(_HT, "the fake external API the service calls"),
                _p("max_attempts", _C, Role.SETTING, "the service's attempts per call (first + retries)",
                   required=True),
                _p("retry_after_s", _S, Role.KNOB, "the Retry-After the fake API sends", default=0.5),
                # degraded: the steady state must not be a fallback already (a breaker an earlier
                # experiment opened would keep every call from the upstream, and nothing could retry)
                _answer("healthy"), _answer("degraded")),
    ),
    _contract(
        "graceful_drain",
        "On SIGTERM the service finishes the requests in flight, turns new ones away, and exits 0 within "
        "[service].shutdown_grace_s.",
        faults=("SIGTERM to the process while slow requests are in flight",),
        checks=(Check(name="in_flight", accepts="every request in flight at the SIGTERM answered healthy"),
                Check(name="exit", accepts="exit code 0 within [service].shutdown_grace_s"),
                Check(name="not_ready", accepts="readiness answered not_ready (a refusal counts) between the "
                                                "SIGTERM and the exit (skipped without a readiness endpoint)"),
                Check(name="refused", accepts="new connections after the SIGTERM answered or refused (a reset "
                                              "in the listen backlog is a refusal), none hung, at least one "
                                              "refused before the exit"),
                Check(name="service unaffected", accepts="when `process` names a worker of the service: the "
                                                         "service answers healthy while the worker drains (of "
                                                         "the worker, only the exit is judged)")),
        params=(_request("a request that stays in flight for slow_request_s", name="slow_request"),
                _p("slow_request_s", _S, Role.SETTING, "how long slow_request takes", required=True),
                _p("process", _PROC, Role.SUBJECT, "the process that gets the SIGTERM: the service, or one of "
                   "[service.processes] (a worker: judged on its exit, and the service must keep serving)",
                   default="service"),
                _answer("healthy"), _answer("not_ready")),
    ),
    _contract(
        "connection_leak",
        "Requests that fail validation give their DB connection back: the service's connections stay "
        "within its pool and normal requests still succeed.",
        faults=("bad_count requests of bad_request, one after another",),
        checks=(Check(name="all_succeed", accepts="every normal request after them answered healthy"),
                Check(name="stays_within", accepts="the service's connections to the DB (every process's, "
                                                   "sampled each second) at most pool_max_size")),
        params=(_request("a request that fails validation after taking a DB connection", name="bad_request"),
                _p("bad_count", _C, Role.KNOB, "how many bad requests to send",
                   default=Derived(text="4 x pool_max_size", compute=lambda p: 4 * int(p["pool_max_size"]))),
                _request("a normal request that needs the DB"),
                _dependency(_PG, "the Postgres whose connections are counted"),
                _p("pool_max_size", _C, Role.SETTING, "the most DB connections the service holds (the sum "
                   "over its processes' pools)", required=True),
                _answer("healthy")),
    ),
    _contract(
        "request_timeout",
        "No request outlives the service's request deadline, even when the DB never answers.",
        faults=("the DB blackholed: timeout toxic both ways (hold rule)",),
        checks=(Check(name="bounded", accepts="every request started in the fault (but its last timeout_s) "
                                              "answered, whatever it answered, within timeout_s (+ margin)"),
                _STEADY_AFTER),
        params=(_request(), _dependency(_PG, "the Postgres to blackhole"),
                _p("timeout_s", _S, Role.SETTING, "the service's request deadline", required=True)),
    ),
    _contract(
        "pool_exhaustion",
        "With every pooled connection busy, extra requests are refused fast instead of queueing without "
        "bound.",
        faults=("DB latency db_latency_ms, then 4 x pool_size requests at once",),
        checks=(Check(name="fails_fast", accepts="every answer that is not healthy is failed_fast and came "
                                                 "within fail_within_s (+ margin); at least one refusal"),
                Check(name="bounded", accepts="every request answered within fail_within_s + db_latency_ms "
                                              "(+ margin)"),
                Check(name="all_answer", accepts="every answer healthy or failed_fast"),
                _STEADY_AFTER),
        params=(_request(), _dependency(_PG, "the Postgres to slow down"),
                _p("pool_size", _C, Role.SETTING, "the service's pool size (per process)", required=True),
                _p("fail_within_s", _S, Role.BUDGET, "how fast a request that gets no connection must be "
                   "refused (the pool's acquire timeout enforces it)", default=2.0),
                _p("db_latency_ms", _MS, Role.KNOB, "latency added to the DB so every connection is busy",
                   default=500),
                _answer("healthy"), _answer("failed_fast")),
    ),
    _contract(
        "booking_race",
        "Many clients booking one slot at once: exactly one wins, the rest lose, in every round.",
        faults=("DB latency db_latency_ms, then concurrency bookings of one slot at once, in 4 rounds",),
        checks=(Check(name="exactly_one_winner", accepts="per round: one won answer, every other lost"),),
        params=(_request("the booking request ({unique} in it makes each round's slot new)"),
                _dependency(_PG, "the Postgres to slow down (widens the race window)"),
                _p("concurrency", _C, Role.KNOB, "bookings per round", default=8),
                _p("db_latency_ms", _MS, Role.KNOB, "latency added to the DB", default=100),
                _answer("won"), _answer("lost")),
    ),
    _contract(
        "restart_persistence",
        "A login lockout survives a crash of the service (it is kept in shared storage, not in memory).",
        faults=("SIGKILL to the service, which is started again",),
        checks=(Check(name="locked out before the crash", accepts="after max_attempts failed logins: locked"),
                Check(name="locked out after the restart", accepts="the same login after the restart: locked")),
        params=(_request("a failing login ({unique} makes the user new per run)"),
                _p("max_attempts", _C, Role.SETTING, "failed logins that lock the user out", required=True),
                _answer("locked")),
    ),
)

CONTRACTS: Final[Mapping[str, Contract]] = MappingProxyType({c.name: c for c in _CATALOG})

RENAMED: Final[Mapping[str, str]] = MappingProxyType({
    "pool_timeout_s": "fail_within_s (your budget for a request while the DB is unavailable)",
    "locked_status": 'locked (an answer: locked = 423, or locked = { status = [423, 429] })',
    "degraded_field": 'degraded (an answer: degraded = { json = "degraded", equals = true })',
    "json": 'the request table: request = { line = "POST /path", json = { ... } }',
    "bad_json": 'the request table: bad_request = { line = "POST /path", json = { ... } }',
})
"""Parameters of earlier target files, and what replaced them (for the loader's messages)."""
