"""Observe a run: one timeline of typed events, bounded load, probes and the steady-state check.

Everything here writes to a `Timeline` (append-only, thread-safe, monotonic-clock instants plus a
wall-clock anchor); `chaos.contracts` reads it afterwards, like a checker reading a Jepsen history.

    timeline.py   Timeline: append, mark, fault_started/ended, requests(), probes(), fault_window(),
                  offset_s()
    events.py     RequestDone, RequestSkipped, FaultStarted, FaultEnded, ProbeResult, ProcessExited,
                  Mark, UpstreamCall, Gauge (frozen dataclasses, `at_ns` orders them)
    window.py     Window: [start_ns, end_ns] (end None = open), the unit every contract selects by
    serialise.py  timeline_to_data / timeline_from_data: the one JSON form (schema_version 2)
    load_spec.py  LoadSpec, LoadModel (open: arrival rate, latency from the intended start, a bounded
                  in-flight cap, NOT_SENT past it; closed: `concurrency` at a time), MAX_IN_FLIGHT
    schedule.py   Schedule: which slot is due when and its fate (send, not sent, skip); pure
    load.py       LoadGenerator (background thread, paced by the schedule, count AND time bound)
    burst.py      fire(): N requests released together (races, pool exhaustion)
    probe.py      Prober with HttpProbe, CallableProbe, ProcessProbe (records ProcessExited)
    steady.py     steady_state(): the steady-state hypothesis before the fault and after the heal
"""

from chaos.observe.burst import fire
from chaos.observe.events import (
    EVENT_TYPES,
    NOT_SENT,
    Event,
    FaultEnded,
    FaultStarted,
    Gauge,
    Mark,
    ProbeResult,
    ProcessExited,
    RequestDone,
    RequestSkipped,
    UpstreamCall,
)
from chaos.observe.load import LoadGenerator, LoadStats
from chaos.observe.load_spec import MAX_IN_FLIGHT, LoadModel, LoadSpec
from chaos.observe.probe import CallableProbe, HttpProbe, Prober, ProcessProbe
from chaos.observe.request_spec import RequestSpec
from chaos.observe.serialise import SCHEMA_VERSION, timeline_from_data, timeline_to_data
from chaos.observe.steady import SteadyState, Tolerance, steady_state
from chaos.observe.timeline import Span, Timeline
from chaos.observe.window import Window

__all__ = [
    "EVENT_TYPES",
    "MAX_IN_FLIGHT",
    "NOT_SENT",
    "SCHEMA_VERSION",
    "CallableProbe",
    "Event",
    "FaultEnded",
    "FaultStarted",
    "Gauge",
    "HttpProbe",
    "LoadGenerator",
    "LoadModel",
    "LoadSpec",
    "LoadStats",
    "Mark",
    "ProbeResult",
    "Prober",
    "ProcessExited",
    "ProcessProbe",
    "RequestDone",
    "RequestSkipped",
    "RequestSpec",
    "Span",
    "SteadyState",
    "Timeline",
    "Tolerance",
    "UpstreamCall",
    "Window",
    "fire",
    "steady_state",
    "timeline_from_data",
    "timeline_to_data",
]
