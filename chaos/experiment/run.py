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
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from chaos.contracts import Status, Verdict, combine
from chaos.env.base import DependencyHandle, Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle
from chaos.faults import Fault, Receipt, injected
from chaos.observe import (
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
from chaos.target import ContractSpec

__all__ = ["Experiment"]


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
    """A run against one environment and (usually) one declared contract."""

    def __init__(self, *, name: str, env: Environment, contract: ContractSpec | None) -> None:
        self.name = name
        self.env = env
        self.contract = contract
        self.timeline = Timeline()
        self.token = secrets.token_hex(4)
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
        return Prober(self.timeline, probes, interval_s=interval_s, max_duration_s=duration_s,
                      timeout_s=timeout_s)

    # --- the fault ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def fault(self, fault: Fault) -> Iterator[Receipt]:
        """Inject `fault` for the block; its receipt is kept for the verdict and the journal."""
        with injected(fault, timeline=self.timeline) as receipt:
            self.receipts.append(receipt)
            yield receipt

    @staticmethod
    def hold(seconds: float) -> None:
        """Keep the fault in place for `seconds` while load and probes run (bounded by construction)."""
        time.sleep(max(0.0, seconds))

    def record_exit(self) -> None:
        """Put the SUT's exit on the timeline if it exited and no probe saw it (a late stamp)."""
        if self.timeline.events(ProcessExited):
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
        timeout_s: float = 3.0,
    ) -> SteadyState:
        """Check the steady-state hypothesis. Before the fault a miss makes the run inconclusive (the
        service was not healthy to begin with); after the heal a miss fails it (it did not come back)."""
        specs = list(requests) if requests else [RequestSpec.parse(f"GET {self.env.target.service.health}")]
        result = steady_state(self.base_url, specs, count=count, timeout_s=timeout_s, timeline=self.timeline,
                              tolerance=Tolerance(max_latency_s=max_latency_s, statuses=statuses))
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
