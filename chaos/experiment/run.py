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
from collections.abc import Iterator, Sequence
from typing import cast

from chaos.answers import AllOf, Answer, Not, capture_of
from chaos.contracts import Status, Verdict, combine
from chaos.env.base import (
    DependencyHandle,
    Environment,
    HttpUpstreamHandle,
    PostgresHandle,
    ProcessHandle,
    RedisHandle,
    SutHandle,
)
from chaos.env.command_log import CommandRun, QueryCount
from chaos.errors import ChaosError, CommandFailed
from chaos.experiment.checkpoints import UNATTENDED, Checkpoints, ExperimentAborted
from chaos.experiment.documented import undocumented_checks
from chaos.experiment.guards import Guard, Trip
from chaos.experiment.isolation import WARM_UP_BOUND_S, prove_healthy, quiet_before_fault
from chaos.experiment.monitor import GuardMonitor
from chaos.experiment.requests import build_request
from chaos.experiment.seeding import derive_seed, draw_seed, run_token
from chaos.experiment.timing import observation_limit
from chaos.faults import Fault, Receipt, injected
from chaos.faults.active import ActiveFaults
from chaos.observe import (
    HttpProbe,
    LoadGenerator,
    LoadModel,
    LoadSpec,
    Prober,
    ProcessExited,
    ProcessProbe,
    RequestSpec,
    SteadyState,
    Timeline,
    Tolerance,
    UpstreamCall,
    steady_state,
)
from chaos.targetfile import ANSWER_DEFAULTS, CONTRACTS, ContractSpec, RequestTemplate

__all__ = ["STEADY_SETTLE_S", "Experiment"]

STEADY_SETTLE_S = 10.0
"""The longest an experiment waits for the steady state before its fault (a bound on waiting, not a
verdict margin): long enough for a circuit breaker an earlier experiment opened to close again."""
SETTLE_POLL_S = 0.25
"""Requests a warm-up may repeat: they do not change the service's state."""


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
        self._sut_pid: int | None = None      # the SUT's PID when last seen running: whose exit record_exit stamps
        self.verdicts: list[Verdict] = []
        self.steady_states: list[tuple[str, SteadyState]] = []
        self.notes: list[str] = []
        self.started = time.monotonic()
        self.healthy_before = True               # False once prove_healthy() failed: the body is not run
        self.in_catalog = False                  # one of the suite's own experiments: its checks are documented
        self.limit_s = observation_limit(env.target, contract)   # a game day raises it to its own bound
        self._quiet_since_ns: int | None = None   # end of the last steady state before the first fault
        self._quiet_labels: frozenset[str] = frozenset()
        self._quiet_answer: Answer | None = None
        self._log_marks = {name: len(text) for name, text in self._all_logs().items()}
        self._command_mark = env.command_log.mark()

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

    # --- the service's conventions ---------------------------------------------------------------
    def answer(self, name: str) -> Answer:
        """The answer convention `name` (healthy, degraded, not_ready...): the contract's, else the
        target's `[answers]`, else the catalog's default."""
        found = self.optional_answer(name)
        if found is None:
            raise KeyError(f"no answer {name!r} is declared for experiment {self.name} and it has no default")
        return found

    def optional_answer(self, name: str) -> Answer | None:
        """An answer convention that may be undeclared (`cached`): None then, and the check that needs
        it is skipped, saying so."""
        if self.contract is not None and name in CONTRACTS[self.contract.name].params:
            return self.contract.answer(name)
        return self.env.target.answers.get(name, ANSWER_DEFAULTS.get(name))

    @property
    def healthy(self) -> Answer:
        return self.answer("healthy")

    def steady_answer(self) -> Answer:
        """What a steady-state answer must look like: healthy, and not degraded where the contract
        judges degradation (an external API already failing makes the fault meaningless)."""
        degraded = self.optional_answer("degraded") if self._judges("degraded") else None
        return self.healthy if degraded is None else AllOf(parts=(self.healthy, Not(part=degraded)))

    def _judges(self, name: str) -> bool:
        return name in self._answer_names()

    # --- what to send -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.env.sut.base_url

    def request(self, key: str = "request", *, label: str | None = None, variant: str = "",
                for_load: bool = False) -> RequestSpec:
        """The contract's request (line, body, headers), with `{unique}` replaced by this run's token
        (plus `variant`, for several independent rounds in one run), the service's headers, and what
        to capture of the answers for the contract's checks."""
        if self.contract is None:
            raise RuntimeError(f"experiment {self.name} has no contract to read {key!r} from")
        return self._build(self.contract.request(key), label=label or key, variant=variant, for_load=for_load)

    def health_request(self, *, label: str = "health") -> RequestSpec:
        """GET the service's liveness path (with its headers)."""
        template = RequestTemplate(method="GET", target=self.env.target.service.health)
        return self._build(template, label=label, variant="", for_load=False)

    def _build(self, template: RequestTemplate, *, label: str, variant: str, for_load: bool) -> RequestSpec:
        capture = capture_of(*(self.optional_answer(n) for n in self._answer_names()))
        return build_request(template, target=self.env.target, token=f"{self.token}{variant}", label=label,
                             capture=capture, for_load=for_load)

    def _answer_names(self) -> tuple[str, ...]:
        return CONTRACTS[self.contract.name].answers() if self.contract is not None else ("healthy",)

    def remaining_s(self) -> float:
        """What is left of the experiment's overall bound (load and probes end by then at the latest)."""
        return max(1.0, self.limit_s - (time.monotonic() - self.started))

    def load(
        self,
        *requests: RequestSpec,
        duration_s: float | None = None,
        rate_per_s: float | None = None,
        concurrency: int | None = None,
        timeout_s: float = 5.0,
        max_requests: int | None = None,
        fresh_connections: bool = False,
        model: LoadModel | str = LoadModel.OPEN,
    ) -> LoadGenerator:
        """A load generator (started on `with`, stopped when the block ends), bounded by `duration_s`
        (default: the rest of the experiment's overall bound, so what is observed is decided by the
        experiment's holds, not by a duration guessed up front) and a request count derived from the
        rate, defaulting to the target's [load] table.

        Open model by default (`chaos.observe.load_spec`): requests leave on schedule whatever the
        service does, latency counts from the intended start, and `concurrency`, if given, caps the
        requests in flight (default: enough for a hang as long as the request deadline). With
        `model="closed"`, `concurrency` (default: the target's [load] concurrency) requests at most
        are in flight and later slots are skipped, not judged: for load that is set-up."""
        defaults = self.env.target.load
        rate = rate_per_s if rate_per_s is not None else defaults.rate_per_s
        duration = duration_s if duration_s is not None else self.remaining_s()
        load_model = LoadModel(model)
        if concurrency is None and load_model is LoadModel.CLOSED:
            concurrency = defaults.concurrency
        spec = LoadSpec(
            requests=list(requests), rate_per_s=rate, concurrency=concurrency, model=load_model,
            max_requests=max_requests if max_requests is not None else max(1, int(rate * duration) + 1),
            duration_s=duration, timeout_s=timeout_s, fresh_connections=fresh_connections,
        )
        return LoadGenerator(self.base_url, spec, self.timeline)

    def probes(self, *, duration_s: float | None = None, interval_s: float = 0.1, timeout_s: float = 1.0
               ) -> Prober:
        """Liveness, readiness (when the service has a readiness endpoint) and process-alive probes
        at a steady rate, until the block ends (at most `duration_s`, default the rest of the
        experiment's bound). A probe is ok when it answers healthy."""
        service = self.env.target.service
        headers = dict(service.headers)
        probes: list[HttpProbe | ProcessProbe] = [
            HttpProbe(name="health", url=self.base_url + service.health, answer=self.healthy, headers=headers),
        ]
        if service.ready is not None:
            probes.append(HttpProbe(name="ready", url=self.base_url + service.ready, answer=self.healthy,
                                    headers=headers))
        pid = self._note_sut_pid()
        if pid is not None:
            probes.append(ProcessProbe(name="alive", pid=pid, exit_code=self.env.sut.exit_code))
        for name, process in self.env.processes.items():   # "alive:worker", its exit as process "worker"
            pid = process.pid()
            if pid is not None:
                probes.append(ProcessProbe(name=f"alive:{name}", pid=pid, exit_code=process.exit_code, process=name))
        return Prober(self.timeline, probes, interval_s=interval_s,
                      max_duration_s=duration_s if duration_s is not None else self.remaining_s(),
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
        self._note_sut_pid()
        if not self.receipts:
            self._check_quiet_before_fault()
        # the receipt is on record from the start: a fault whose injection broke or was cut short by
        # an abort still shows what it did and how it was healed
        try:
            with injected(fault, timeline=self.timeline, active=self.active, receipts=self.receipts) as receipt:
                yield receipt
                self.raise_if_aborted()
                self.checkpoints.before_heal(self, fault)
        except CommandFailed as exc:
            # a deployment's command failed or timed out (attach mode): this fault's revert has run;
            # the experiment is aborted, which heals every other fault still in place at once
            undone = self.receipts[-1] if self.receipts else None
            evidence = () if undone is None else (
                f"{fault.name} was undone by its own revert: {'; '.join(undone.revert_steps) or 'nothing to undo'}",
                *(f"revert problem: {problem}" for problem in [*undone.revert_errors, *undone.leftovers]))
            self.abort(Trip(guard=exc.what, kind="command", at_ns=self.timeline.now_ns(), summary=exc.detail,
                            evidence=evidence))
            self.raise_if_aborted()
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
            self._healed_on_abort = self.active.heal_all(
                f"healed at once: the experiment was aborted by {reason.who}")
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

    def process_logs(self) -> dict[str, str]:
        """What each process of the service wrote since this experiment began (its log, from the
        mark taken at the start: a restart during the experiment appends to the same log)."""
        return {name: text[self._log_marks.get(name, 0):] for name, text in self._all_logs().items()}

    def commands_run(self) -> tuple[list[CommandRun], list[QueryCount]]:
        """The commands run on the deployment since this experiment began (attach mode): each action,
        and the queries counted (chaos.env.command_log)."""
        return self.env.command_log.since(self._command_mark)

    def _all_logs(self) -> dict[str, str]:
        handles: dict[str, SutHandle | ProcessHandle] = {"service": self.env.sut, **self.env.processes}
        logs = {}
        for name, handle in handles.items():
            try:
                logs[name] = handle.logs()
            except (ChaosError, OSError) as exc:   # evidence only: an unreadable log must not stop the run
                logs[name] = f"(the log of {name} could not be read: {exc})"
        return logs

    def record_exit(self) -> None:
        """Put the SUT's exit on the timeline if it exited and no probe saw it (a late stamp).

        The PID is the one the SUT had when last seen running (when the probes started, before each
        fault): an exited process has none any more, and a probe that stamps the same exit later
        names the same PID, so the report shows one exit with one PID. 0 only if it was never seen."""
        if any(e.process == "sut" for e in self.timeline.events(ProcessExited)):   # not a worker's exit
            return
        code = self.env.sut.exit_code()
        if code is not None:
            pid = self.env.sut.pid() or self._sut_pid or 0
            self.timeline.append(ProcessExited(pid=pid, exit_code=code, at_ns=time.monotonic_ns()))

    def _note_sut_pid(self) -> int | None:
        """The SUT's PID now (None: not running), remembered for `record_exit`."""
        pid = self.env.sut.pid()
        if pid is not None:
            self._sut_pid = pid
        return pid

    # --- isolation, steady state and verdicts ------------------------------------------------------
    def prove_healthy(self, *, bound_s: float = WARM_UP_BOUND_S) -> None:
        """Before anything else: the service answers healthy again, whatever the last experiment left
        (chaos.experiment.isolation states the rule; `[service].restart` chooses it). `bound_s` is
        how long each warm-up may take."""
        verdict = prove_healthy(self, bound_s=bound_s)
        if verdict is not None:
            self.healthy_before = False
            self.verdicts.append(verdict)

    def steady_state(
        self,
        requests: Sequence[RequestSpec] | None = None,
        *,
        phase: str = "before",
        count: int = 5,
        max_latency_s: float | None = None,
        answer: Answer | None = None,
        timeout_s: float = 3.0,
    ) -> SteadyState:
        """Check the steady-state hypothesis. Before the fault a miss makes the run inconclusive (the
        service was not healthy to begin with); after the heal a miss fails it (it did not come back).

        A steady answer is `steady_answer()` (healthy, not degraded) unless `answer` says otherwise,
        within `[service].healthy_within_s`. Before the fault the service gets up to `STEADY_SETTLE_S`
        to reach its steady state: state an earlier experiment left in the SUT (a circuit breaker
        still open) settles by itself. From its end until the first fault, the requests of the same
        labels must stay healthy: errors there belong to no fault (see `fault`)."""
        specs = list(requests) if requests else [self.health_request()]
        expected = answer if answer is not None else self.steady_answer()
        latency = max_latency_s if max_latency_s is not None else self.env.target.service.healthy_within_s
        tolerance = Tolerance(max_latency_s=latency, answer=expected)
        settle_until = time.monotonic() + (STEADY_SETTLE_S if phase == "before" else 0.0)
        while True:
            result = steady_state(self.base_url, specs, count=count, timeout_s=timeout_s, timeline=self.timeline,
                                  tolerance=tolerance)
            if result.ok or time.monotonic() >= settle_until:
                break
            time.sleep(SETTLE_POLL_S)
        self.steady_states.append((phase, result))
        if phase == "before" and result.ok and not self.receipts:
            self._quiet_since_ns = self.timeline.now_ns()
            self._quiet_labels = frozenset(s.name for s in specs)
            self._quiet_answer = expected
        if not result.ok:
            status = Status.INCONCLUSIVE if phase == "before" else Status.FAILED
            self.verdicts.append(Verdict(
                contract=f"steady state {phase}", status=status,
                summary=("the service was not in its steady state before the fault" if phase == "before"
                         else "the service did not return to its steady state after the heal"),
                evidence=tuple(result.explain().splitlines()), figures={}))
        return result

    def _check_quiet_before_fault(self) -> None:
        """Requests answered between the steady state and the first fault must be healthy too (see
        `chaos.experiment.isolation.quiet_before_fault`)."""
        if self._quiet_since_ns is None or self._quiet_answer is None:
            return
        verdict = quiet_before_fault(self.timeline, since_ns=self._quiet_since_ns, labels=self._quiet_labels,
                                     answer=self._quiet_answer)
        if verdict is not None:
            self.verdicts.append(verdict)

    def record_upstream_calls(self) -> None:
        """Copy the fake external APIs' request logs onto the timeline (same monotonic clock on Linux):
        the calls the service made are part of the record, whatever the contract. Calls recorded by
        an earlier call are not recorded twice, so an experiment can record mid-way for its checks."""
        for handle in self.env.dependencies.values():
            if not isinstance(handle, HttpUpstreamHandle):
                continue
            known = max((c.seq for c in self.timeline.events(UpstreamCall) if c.upstream == handle.name), default=0)
            for call in handle.control.requests(after_seq=known):
                self.timeline.append(UpstreamCall(seq=call.seq, method=call.method, path=call.path,
                                                  arrival_ns=call.monotonic_ns, status=call.status,
                                                  upstream=handle.name))

    def finish(self) -> None:
        """What the record needs once the body has run: the service's exit and the upstream calls.
        A fake API that cannot be read is noted, never allowed to replace the experiment's outcome."""
        self.record_exit()
        try:
            self.record_upstream_calls()
        except ChaosError as exc:
            self.notes.append(f"the fake external API's call log could not be read: {exc}")

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
        if self.contract is not None and self.in_catalog:   # a user's own experiment may check what it likes
            verdicts.extend(undocumented_checks(self.contract.name, verdicts))
        if not verdicts or all(v.status is Status.SKIPPED for v in verdicts):
            verdicts.append(Verdict(contract=self.name, status=Status.INCONCLUSIVE,
                                    summary="no contract was checked", evidence=(), figures={}))
        return combine(verdicts)
