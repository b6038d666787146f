"""One experiment: steady state, fault, observation, heal, verdict, all on one timeline.

The experiment owns the history (a `Timeline`), the faults' receipts and the verdicts. Experiments
in `experiments/` drive it; the pytest plugin turns its `outcome()` into a pass, a failure, or an
inconclusive failure, and the report reads it back.

    def test_db_restart(experiment, contract):
        db = experiment.env.dependency(contract.text("dependency"))
        with experiment.load(experiment.request(), rate_per_s=20, duration_s=8):
            experiment.steady_state()
            with experiment.fault(DependencyRestarted(dependency=db)):
                experiment.hold(2.0)
        experiment.check(fails_fast(...), recovers_within(...))
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from chaos.contracts import Status, Verdict, combine
from chaos.env.base import DependencyHandle, Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle
from chaos.experiment.checkpoints import UNATTENDED, Checkpoints, ExperimentAborted
from chaos.experiment.guards import Guard, Trip
from chaos.experiment.monitor import GuardMonitor
from chaos.experiment.seeding import derive_seed, draw_seed, run_token
from chaos.faults import Fault, Receipt, injected
from chaos.faults.active import ActiveFaults
from chaos.observe import (
    BodyValue,
    HttpProbe,
    LoadGenerator,
    LoadSpec,
    Prober,
    ProcessExited,
    ProcessProbe,
    RequestSpec,
    SteadyState,
    Timeline,
    Tolerance,
    steady_state,
)
from chaos.targetfile import ContractSpec

__all__ = ["STEADY_SETTLE_S", "Experiment"]

STEADY_SETTLE_S = 10.0
"""The longest an experiment waits for the steady state before its fault (a bound on waiting, not a
verdict margin): long enough for a circuit breaker an earlier experiment opened to close again."""
SETTLE_POLL_S = 0.25


def _substitute(value: Any, token: str) -> Any:
    """Put the per-run token wherever a request body says `{unique}`, so repeated runs never collide."""
    if isinstance(value, str):
        return value.replace("{unique}", token)
    if isinstance(value, Mapping):
        return {k: _substitute(v, token) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(v, token) for v in value]
    return value


class Experiment:
    """A run against one environment and (usually) one declared contract.

    `seed` is the run seed (what `--chaos-seed` replays, recorded in the journal); the experiment's
    own `experiment_seed` is derived from it and `nodeid`, and drives everything random here: the
    `{unique}` token, `rng` (for randomised fault timing, see `draw_offset`), and, through the
    plugin's `seed_environment`, the proxies' toxicity draws and the fake APIs' failure fractions.
    """

    def __init__(self, *, name: str, env: Environment, contract: ContractSpec | None, seed: int | None = None,
                 nodeid: str | None = None) -> None:
        self.name = name
        self.env = env
        self.contract = contract
        self.timeline = Timeline()
        self.seed = draw_seed() if seed is None else seed
        self.experiment_seed = derive_seed(self.seed, nodeid or name)
        self.rng = random.Random(derive_seed(self.experiment_seed, "experiment"))
        self.token = run_token(self.experiment_seed)
        self.active = ActiveFaults()          # faults in place now: what an abort heals at once
        self.guards: list[Guard] = []         # stop conditions, judged live once the first fault is in
        self.checkpoints: Checkpoints = UNATTENDED
        self.aborted: Trip | None = None      # why the experiment was aborted (a guard, the operator)
        self._healed_on_abort: tuple[list[str], list[str]] = ([], [])
        self._abort = threading.Event()
        self._abort_lock = threading.Lock()
        self._monitor: GuardMonitor | None = None
        self.receipts: list[Receipt] = []
        self.verdicts: list[Verdict] = []
        self.steady_states: list[tuple[str, SteadyState]] = []
        self.notes: list[str] = []

    # --- what the contract points at -----------------------------------------------------------
    def postgres(self, key: str = "dependency") -> PostgresHandle:
        """The contract's Postgres dependency (the target file checked its kind)."""
        return cast(PostgresHandle, self._dependency(key, "postgres"))

    def redis(self, key: str = "dependency") -> RedisHandle:
        """The contract's Redis dependency."""
        return cast(RedisHandle, self._dependency(key, "redis"))

    def upstream(self, key: str = "dependency") -> HttpUpstreamHandle:
        """The contract's fake external API."""
        return cast(HttpUpstreamHandle, self._dependency(key, "http"))

    def _dependency(self, key: str, kind: str) -> DependencyHandle:
        if self.contract is None:
            raise RuntimeError(f"experiment {self.name} has no contract to read {key!r} from")
        handle = self.env.dependency(self.contract.text(key))
        if handle.kind != kind:
            raise TypeError(f"[contracts.{self.contract.name}].{key} = {handle.name!r} is a {handle.kind} "
                            f"dependency; this experiment needs a {kind} one")
        return handle

    # --- what to send -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.env.sut.base_url

    def request(
        self, key: str = "request", *, json_key: str = "json", label: str | None = None, variant: str = ""
    ) -> RequestSpec:
        """The contract's request line (and body), with `{unique}` replaced by this run's token (plus
        `variant`, for several independent rounds in one run)."""
        if self.contract is None:
            raise RuntimeError(f"experiment {self.name} has no contract to read {key!r} from")
        line = self.contract.request(key)
        body = self.contract.json(json_key) if json_key in self.contract else None
        token = f"{self.token}{variant}"
        return RequestSpec(method=line.method, path=_substitute(line.target, token),
                           json=_substitute(body, token) if body is not None else None,
                           label=label or key)

    def load(
        self,
        *requests: RequestSpec,
        duration_s: float,
        rate_per_s: float | None = None,
        concurrency: int | None = None,
        timeout_s: float = 5.0,
        max_requests: int | None = None,
        fresh_connections: bool = False,
    ) -> LoadGenerator:
        """A load generator (started on `with`) bounded by `duration_s` and a request count derived
        from the rate, defaulting to the target's [load] table."""
        defaults = self.env.target.load
        rate = rate_per_s if rate_per_s is not None else defaults.rate_per_s
        spec = LoadSpec(
            requests=list(requests), rate_per_s=rate,
            concurrency=concurrency if concurrency is not None else defaults.concurrency,
            max_requests=max_requests if max_requests is not None else max(1, int(rate * duration_s) + 1),
            duration_s=duration_s, timeout_s=timeout_s, fresh_connections=fresh_connections,
        )
        return LoadGenerator(self.base_url, spec, self.timeline)

    def probes(self, *, duration_s: float, interval_s: float = 0.1, timeout_s: float = 1.0) -> Prober:
        """Liveness, readiness and process-alive probes at a steady rate, for at most `duration_s`."""
        service = self.env.target.service
        probes: list[HttpProbe | ProcessProbe] = [
            HttpProbe(name="health", url=self.base_url + service.health),
            HttpProbe(name="ready", url=self.base_url + service.ready),
        ]
        pid = self.env.sut.pid()
        if pid is not None:
            probes.append(ProcessProbe(name="alive", pid=pid, exit_code=self.env.sut.exit_code))
        for name, process in self.env.processes.items():   # "alive:worker", its exit as process "worker"
            pid = process.pid()
            if pid is not None:
                probes.append(ProcessProbe(name=f"alive:{name}", pid=pid, exit_code=process.exit_code, process=name))
        return Prober(self.timeline, probes, interval_s=interval_s, max_duration_s=duration_s,
                      timeout_s=timeout_s)

    # --- the fault ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def fault(self, fault: Fault) -> Iterator[Receipt]:
        """Inject `fault` for the block; its receipt is kept for the verdict and the journal.

        Checkpoints come first (an operator may abort before anything is injected) and last, when
        the block ends normally (an operator may hold longer); stop conditions are watched from the
        first fault on. An abort heals every active fault at once and raises ExperimentAborted."""
        self.raise_if_aborted()
        self._watch()
        self.checkpoints.before_inject(self, fault)
        self.raise_if_aborted()
        with injected(fault, timeline=self.timeline, active=self.active) as receipt:
            self.receipts.append(receipt)
            yield receipt
            self.raise_if_aborted()
            self.checkpoints.before_heal(self, fault)
        self.raise_if_aborted()

    # --- stop conditions and aborts --------------------------------------------------------------
    def guard(self, *guards: Guard) -> None:
        """Add stop conditions for this experiment (on top of the target file's [guards])."""
        self.guards.extend(guards)

    def abort(self, reason: Trip) -> None:
        """Heal every active fault now and make the experiment's waits end with ExperimentAborted.

        Safe from any thread (the guard monitor's, an operator's); only the first reason counts."""
        with self._abort_lock:
            if self.aborted is not None:
                return
            self.aborted = reason
            self.timeline.mark("aborted", reason.summary)
            self._healed_on_abort = self.active.heal_all()
            self._abort.set()

    def raise_if_aborted(self) -> None:
        if self.aborted is not None:
            raise ExperimentAborted(experiment=self.name, reason=self.aborted, healed=self._healed_on_abort[0],
                                    heal_errors=self._healed_on_abort[1])

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, ending at once with ExperimentAborted if the experiment is aborted."""
        if self._abort.wait(max(0.0, seconds)):
            self.raise_if_aborted()

    def close(self) -> None:
        """Stop watching the stop conditions and release the checkpoints (idempotent)."""
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.stop()
        self.checkpoints.close(self)

    def _watch(self) -> None:
        if self._monitor is None and self.guards:
            self._monitor = GuardMonitor(self.timeline, self.guards, on_trip=self.abort).start()

    def draw_offset(self, low_s: float, high_s: float, *, what: str = "fault offset") -> float:
        """A randomised timing in [low_s, high_s] (when to inject, how long to hold) from the
        experiment's seeded generator: the same seed draws the same offsets. Noted for the journal."""
        if not 0 <= low_s <= high_s:
            raise ValueError(f"draw_offset({low_s!r}, {high_s!r}): expected 0 <= low_s <= high_s")
        value = self.rng.uniform(low_s, high_s)
        self.notes.append(f"{what}: {value:.3f} s, drawn in [{low_s:g}, {high_s:g}] s (run seed {self.seed})")
        return value

    def hold(self, seconds: float) -> None:
        """Keep the fault in place for `seconds` while load and probes run (bounded by construction).

        Unattended this is a wait that a stop condition cuts short; in a game day the operator may
        hold longer or heal now. Raises ExperimentAborted if the experiment is aborted meanwhile."""
        self.raise_if_aborted()
        self.checkpoints.hold(self, seconds)
        self.raise_if_aborted()

    def record_exit(self) -> None:
        """Put the SUT's exit on the timeline if it exited and no probe saw it (a late stamp)."""
        if any(e.process == "sut" for e in self.timeline.events(ProcessExited)):   # not a worker's exit
            return
        code = self.env.sut.exit_code()
        pid = self.env.sut.pid()
        if code is not None:
            self.timeline.append(ProcessExited(pid=pid or 0, exit_code=code, at_ns=time.monotonic_ns()))

    # --- steady state and verdicts --------------------------------------------------------------
    def steady_state(
        self,
        requests: Sequence[RequestSpec] | None = None,
        *,
        phase: str = "before",
        count: int = 5,
        max_latency_s: float = 1.0,
        statuses: frozenset[int] = frozenset({200}),
        body: Mapping[str, BodyValue] | None = None,
        timeout_s: float = 3.0,
    ) -> SteadyState:
        """Check the steady-state hypothesis. Before the fault a miss makes the run inconclusive (the
        service was not healthy to begin with); after the heal a miss fails it (it did not come back).

        Before the fault the service gets up to `STEADY_SETTLE_S` to reach its steady state: state
        an earlier experiment left in the SUT (a circuit breaker still open) settles by itself."""
        specs = list(requests) if requests else [RequestSpec.parse(f"GET {self.env.target.service.health}")]
        tolerance = Tolerance(max_latency_s=max_latency_s, statuses=statuses, body=dict(body or {}))
        settle_until = time.monotonic() + (STEADY_SETTLE_S if phase == "before" else 0.0)
        while True:
            result = steady_state(self.base_url, specs, count=count, timeout_s=timeout_s, timeline=self.timeline,
                                  tolerance=tolerance)
            if result.ok or time.monotonic() >= settle_until:
                break
            time.sleep(SETTLE_POLL_S)
        self.steady_states.append((phase, result))
        if not result.ok:
            status = Status.INCONCLUSIVE if phase == "before" else Status.FAILED
            self.verdicts.append(Verdict(
                contract=f"steady state {phase}", status=status,
                summary=("the service was not in its steady state before the fault" if phase == "before"
                         else "the service did not return to its steady state after the heal"),
                evidence=tuple(result.explain().splitlines()), figures={}))
        return result

    def check(self, *verdicts: Verdict) -> None:
        self.verdicts.extend(verdicts)

    def outcome(self) -> Verdict:
        """The combined verdict: FAILED > INCONCLUSIVE > PASSED; a fault that left no trace, or no
        check at all, makes it inconclusive, never passed."""
        verdicts = list(self.verdicts)
        for receipt in self.receipts:
            if not receipt.bit:
                verdicts.append(Verdict(
                    contract=f"fault {receipt.fault}", status=Status.INCONCLUSIVE,
                    summary=f"the fault left no trace ({receipt.intent}): nothing shows it touched the system",
                    evidence=(), figures={}))
        if not verdicts:
            verdicts.append(Verdict(contract=self.name, status=Status.INCONCLUSIVE,
                                    summary="no contract was checked", evidence=(), figures={}))
        return combine(verdicts)
