"""`drains`: on SIGTERM the service finishes what it started, turns new work away, and exits cleanly.

The experiment sends slow requests (label e.g. "slow"), marks the SIGTERM on the timeline, keeps
offering new requests on fresh connections (label e.g. "new", `fresh_connections=True`) and
probes readiness; the prober's `ProcessProbe` records the exit.
"""

from __future__ import annotations

from chaos.answers import Answer, describe, holds
from chaos.contracts._evidence import answer_line, at, listing, probe_line, request_line, verdict
from chaos.contracts.conditions import is_indeterminate, is_refusal
from chaos.contracts.verdict import Status, Verdict, combine
from chaos.exits import exited
from chaos.observe import ProcessExited, Timeline

__all__ = ["drains"]


def drains(
    timeline: Timeline,
    *,
    sigterm_ns: int,
    grace_s: float,
    in_flight_label: str | None = None,
    new_label: str | None = None,
    healthy: Answer,
    not_ready: Answer | None,
    ready_probe: str = "ready",
    process: str = "sut",
    serves_requests: bool = True,
) -> Verdict:
    """Four parts, combined (worst wins); for a process that `serves_requests=False` (a worker of the
    service: its in-flight jobs are not observable from outside), the exit alone, the others SKIPPED:

    - `in_flight`: every request (of `in_flight_label`) started before `sigterm_ns` and still open
      at it answered `healthy` (INCONCLUSIVE if none was in flight: the fault did not bite);
    - `exit`: `process` exited with code 0 within `grace_s` of the SIGTERM (no exit on record:
      FAILED if the timeline goes on past the grace period, else INCONCLUSIVE);
    - `not_ready`: a `ready_probe` answered like `not_ready` between the SIGTERM and the exit (a
      refused connection counts when the convention says so, as the default does); SKIPPED when
      `not_ready` is None (a service without a readiness endpoint);
    - `refused` (only if `new_label` is given): requests of `new_label` started between the
      SIGTERM and the exit were either answered or turned away (refused, or reset: a listener
      closed with connections still in its accept queue resets them, which is a refusal, not
      dropped work), none hung; at least one was turned away (the listener closed before the
      exit), and once one was, all later ones were (it stayed closed). A request still open when
      the load was stopped (Cancelled) counts as hung.

    Figures: in_flight.requests, exit.drain_s, exit.exit_code, refused.refused, ...
    """
    exits = [e for e in timeline.events(ProcessExited) if e.process == process and e.at_ns >= sigterm_ns]
    exit_event = exits[0] if exits else None
    until_ns = exit_event.at_ns if exit_event is not None else timeline.last_ns()
    if not serves_requests:
        why = f"{process} serves no requests: its in-flight work is not observable, its exit is"
        return combine([verdict("in_flight", Status.SKIPPED, f"not checked: {why}"),
                        _exit(timeline, sigterm_ns, grace_s, process, exit_event)], contract="drains")
    parts = [
        _in_flight(timeline, sigterm_ns, in_flight_label, healthy),
        _exit(timeline, sigterm_ns, grace_s, process, exit_event),
        _not_ready(timeline, sigterm_ns, until_ns, ready_probe, not_ready),
    ]
    if new_label is not None:
        parts.append(_refused(timeline, sigterm_ns, until_ns, new_label))
    return combine(parts, contract="drains")


def _in_flight(timeline: Timeline, sigterm_ns: int, label: str | None, healthy: Answer) -> Verdict:
    open_at_sigterm = [r for r in timeline.requests(label=label) if r.start_ns <= sigterm_ns < r.end_ns]
    bad = [r for r in open_at_sigterm if not holds(healthy, r)]
    what = f"requests {label!r}" if label else "requests"
    sig = at(timeline, sigterm_ns)
    expected = describe(healthy)
    figures = {"requests": len(open_at_sigterm), "failed": len(bad)}
    if not open_at_sigterm:
        return verdict("in_flight", Status.INCONCLUSIVE, f"no {what} were in flight at the SIGTERM at {sig}",
                       **figures)
    if bad:
        return verdict("in_flight", Status.FAILED,
                       f"{len(bad)} of {len(open_at_sigterm)} {what} in flight at the SIGTERM at {sig} "
                       f"did not complete with {expected}",
                       listing(bad, lambda r: answer_line(timeline, r, healthy)), **figures)
    return verdict("in_flight", Status.PASSED,
                   f"all {len(open_at_sigterm)} {what} in flight at the SIGTERM at {sig} "
                   f"completed with {expected}",
                   **figures)


def _exit(
    timeline: Timeline, sigterm_ns: int, grace_s: float, process: str, event: ProcessExited | None
) -> Verdict:
    sig = at(timeline, sigterm_ns)
    if event is None:
        watched_s = (timeline.last_ns() - sigterm_ns) / 1e9
        # without an exit, only a watch that outlasted the grace period shows the process overstayed
        status = Status.FAILED if watched_s >= grace_s else Status.INCONCLUSIVE
        return verdict("exit", status,
                       f"no exit of {process} recorded after the SIGTERM at {sig} "
                       f"(watched {watched_s:.3f} s, grace {grace_s:g} s)",
                       grace_s=grace_s, watched_s=watched_s)
    drain_s = (event.at_ns - sigterm_ns) / 1e9
    figures = {"drain_s": drain_s, "exit_code": event.exit_code, "grace_s": grace_s}
    evidence = [f"{at(timeline, event.at_ns)} {process} pid {event.pid} {exited(event.exit_code)}"]
    problems = []
    if event.exit_code != 0:
        problems.append(f"{process} {exited(event.exit_code)}, not with code 0")
    if drain_s > grace_s:
        problems.append(f"{process} took {drain_s:.3f} s to exit after the SIGTERM at {sig}, over the "
                        f"{grace_s:g} s grace period")
    if problems:
        return verdict("exit", Status.FAILED, "; ".join(problems), evidence, **figures)
    return verdict("exit", Status.PASSED,
                   f"{process} exited 0 {drain_s:.3f} s after the SIGTERM (grace {grace_s:g} s)",
                   evidence, **figures)


def _not_ready(
    timeline: Timeline, sigterm_ns: int, until_ns: int, probe: str, not_ready: Answer | None
) -> Verdict:
    if not_ready is None:
        return verdict("not_ready", Status.SKIPPED, "not checked: the service declares no readiness endpoint")
    probes = [p for p in timeline.probes(probe) if p.end_ns >= sigterm_ns and p.start_ns <= until_ns]
    between = f"between the SIGTERM at {at(timeline, sigterm_ns)} and the exit at {at(timeline, until_ns)}"
    statuses = describe(not_ready)
    if not probes:
        return verdict("not_ready", Status.INCONCLUSIVE, f"no {probe!r} probe ran {between}", probes=0)
    answered = [p for p in probes if holds(not_ready, p)]
    if not answered:
        return verdict("not_ready", Status.FAILED,
                       f"{probe!r} never answered {statuses} {between} ({len(probes)} probes)",
                       listing(probes, lambda p: probe_line(timeline, p)), probes=len(probes), not_ready=0)
    return verdict("not_ready", Status.PASSED,
                   f"{probe!r} answered {statuses} {len(answered)} times {between}",
                   [f"first: {probe_line(timeline, answered[0])}"],
                   probes=len(probes), not_ready=len(answered))


def _refused(timeline: Timeline, sigterm_ns: int, until_ns: int, label: str) -> Verdict:
    new = timeline.requests(label=label, started_between=(sigterm_ns, until_ns))
    between = f"between the SIGTERM at {at(timeline, sigterm_ns)} and the exit at {at(timeline, until_ns)}"
    if not new:
        return verdict("refused", Status.INCONCLUSIVE, f"no new requests {label!r} started {between}",
                       requests=0)
    refused = [r for r in new if is_refusal(r)]
    hung = [r for r in new if r.status is None and not is_refusal(r)]
    reopened = [r for r in new if refused and r.start_ns > refused[0].start_ns and r.status is not None]
    figures = {"requests": len(new), "refused": len(refused), "hung": len(hung),
               "accepted_after_refusal": len(reopened)}
    problems = []
    evidence: list[str] = []
    if hung:
        kinds = sorted({str(r.error) for r in hung})
        problems.append(
            f"{len(hung)} new requests {label!r} {between} hung ({', '.join(kinds)})"
        )
        evidence.extend(listing(hung, lambda r: request_line(timeline, r)))
    if not refused:
        problems.append(f"no new connection was turned away {between}: the listener stayed open "
                        f"({len(new)} new requests)")
        evidence.extend(listing(new, lambda r: request_line(timeline, r)))
    elif reopened:
        problems.append(f"{len(reopened)} new requests were answered after the first refusal at "
                        f"{at(timeline, refused[0].start_ns)}")
        evidence.extend(listing(reopened, lambda r: request_line(timeline, r)))
    cancelled = sum(1 for r in hung if is_indeterminate(r))
    if cancelled:
        evidence.append(f"({cancelled} of them were still open when the load was stopped)")
    if problems:
        return verdict("refused", Status.FAILED, "; ".join(problems), evidence, **figures)
    return verdict("refused", Status.PASSED,
                   f"{len(refused)} of {len(new)} new requests {label!r} {between} were turned away (refused "
                   f"or reset), none hung; "
                   f"first refusal at {at(timeline, refused[0].start_ns)}",
                   **figures)
