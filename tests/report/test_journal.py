"""The journal: one JSON form, a lossless round trip, and a schema that real and hand-built journals meet."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.histories import History, ns

from chaos.errors import JournalError
from chaos.observe import EVENT_TYPES, NOT_SENT, ProcessExited, RequestDone
from chaos.report import (
    Journal,
    MarginRule,
    Outcome,
    journal_from_data,
    journal_schema,
    journal_to_data,
    read_journal,
    schema_problems,
    sut_exits,
    write_journal,
)
from chaos.report.store import journal_path, nodeid_slug

MakeJournal = Callable[..., Journal]


def _real_journal(catalog_run: Any) -> dict[str, Any]:
    assert catalog_run.returncode == 0, catalog_run.output
    [path] = catalog_run.journals
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_real_journal_validates_against_the_schema(catalog_run: Any) -> None:
    data = _real_journal(catalog_run)
    jsonschema.Draft202012Validator.check_schema(journal_schema())
    jsonschema.validate(data, journal_schema(), cls=jsonschema.Draft202012Validator)
    assert schema_problems(data) == []


def test_real_journal_holds_the_whole_run(catalog_run: Any) -> None:
    data = _real_journal(catalog_run)
    assert data["schema_version"] == 2
    header = re.search(r"chaos: seed=(\d+) \(.*\); replay with --chaos-seed (\d+)", catalog_run.output)
    assert header is not None, catalog_run.output          # the drawn run seed, printed once in the header
    assert data["seed"] == int(header.group(1)) == int(header.group(2))
    assert data["experiment"]["nodeid"] == (
        "experiments/test_database.py::test_readiness_flips_while_the_db_is_unreachable")
    assert data["contract"]["name"] == "readiness"
    assert data["contract"]["params"]["dependency"] == "postgres"
    assert data["target"]["name"] == "sut"
    assert data["backend"] == "local"
    assert data["outcome"] == "passed"
    assert data["verdict"]["status"] == "passed"
    assert [s["phase"] for s in data["steady_states"]] == ["before"]
    [fault] = data["faults"]
    assert fault["effects"]
    assert fault["bit"]
    assert fault["reverted_cleanly"]
    assert 0 < fault["injected_offset_s"] < fault["reverted_offset_s"]
    types = {e["type"] for e in data["timeline"]["events"]}
    assert {"ProbeResult", "FaultStarted", "FaultEnded", "RequestDone"} <= types
    assert any(k.endswith("flip_s") for k in data["verdict"]["figures"])


def test_real_journal_round_trips(catalog_run: Any) -> None:
    data = _real_journal(catalog_run)
    journal = journal_from_data(data)
    assert journal.outcome is Outcome.PASSED
    assert journal.timeline is not None
    assert len(journal.timeline) == len(data["timeline"]["events"])
    assert journal_to_data(journal) == data


def test_every_event_type_is_in_the_schema_and_round_trips(make_journal: MakeJournal, tmp_path: Path) -> None:
    journal = make_journal(outcome=Outcome.FAILED)
    data: dict[str, Any] = journal_to_data(journal)
    assert {e["type"] for e in data["timeline"]["events"]} == set(EVENT_TYPES)
    assert schema_problems(data) == []
    assert set(journal_schema()["$defs"]["event"]["properties"]["type"]["enum"]) == set(EVENT_TYPES)
    path = write_journal(tmp_path, journal)
    assert path == journal_path(tmp_path, journal.nodeid)
    assert journal_to_data(read_journal(path)) == data


@pytest.mark.parametrize("outcome", list(Outcome))
def test_each_outcome_validates(make_journal: MakeJournal, outcome: Outcome) -> None:
    with_timeline = outcome is not Outcome.SKIPPED
    data = journal_to_data(make_journal(outcome=outcome, with_timeline=with_timeline))
    assert schema_problems(data) == []
    assert journal_to_data(journal_from_data(data)) == data


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda d: d.pop("faults"), "'faults' is a required property"),
    (lambda d: d.update(outcome="crashed"), "$.outcome"),
    (lambda d: d["timeline"]["events"][0].update(status="200"), "$.timeline.events[0].status"),
    (lambda d: d["timeline"]["events"].append({"type": "Nope", "offset_s": 0}), "$.timeline.events"),
    (lambda d: d["faults"][0].update(extra=1), "$.faults[0]"),
])
def test_schema_names_what_is_wrong(make_journal: MakeJournal, mutate: Callable[[dict[str, Any]], object],
                                    where: str) -> None:
    data = journal_to_data(make_journal())
    mutate(data)
    problems = schema_problems(data)
    assert problems
    assert any(where in p for p in problems), problems


def test_reading_a_bad_journal_names_the_file(tmp_path: Path, make_journal: MakeJournal) -> None:
    not_json = tmp_path / "a.json"
    not_json.write_text("{")
    with pytest.raises(JournalError, match=r"a\.json: not JSON"):
        read_journal(not_json)
    future = tmp_path / "b.json"
    future.write_text(json.dumps({**journal_to_data(make_journal()), "schema_version": 3}))
    with pytest.raises(JournalError, match=r"b\.json: not a valid journal: \$\.schema_version"):
        read_journal(future)
    with pytest.raises(ValueError, match="schema_version 3 is not supported"):
        journal_from_data(json.loads(future.read_text()))


def test_one_exit_stamped_twice_is_one_exit(make_journal: MakeJournal) -> None:
    journal = make_journal()
    assert journal.timeline is not None
    assert len(journal.timeline.events(ProcessExited)) == 2
    [only] = sut_exits(journal.timeline)
    assert (only.pid, only.exit_code, only.offset_s) == (4100, 0, 3.0)


def test_nodeid_slugs_are_readable_and_distinct() -> None:
    assert nodeid_slug("experiments/test_cache.py::test_x") == "experiments-test_cache.py--test_x"
    odd = nodeid_slug("experiments/test_cache.py::test_x[a b/c]")
    assert odd.startswith("experiments-test_cache.py--test_x-a-b-c-")
    assert len(odd.rsplit("-", 1)[1]) == 8
    assert odd != nodeid_slug("experiments/test_cache.py::test_x[a-b-c]")
    assert len(nodeid_slug("x" * 500)) < 140


def test_an_aborted_experiment_round_trips_with_its_evidence(make_journal: MakeJournal) -> None:
    journal = make_journal(outcome=Outcome.ABORTED, seed=4242,
                           detail="aborted: stop condition error_rate>50%/1s: 9/10 requests (90%) failed")
    data: dict[str, Any] = journal_to_data(journal)
    assert data["outcome"] == "aborted"
    assert data["seed"] == 4242
    assert data["error"] is not None
    assert "healed at once: signal(sut, SIGTERM)" in data["error"]   # the evidence
    assert data["schema_version"] == 2                     # an added enum value: no new version
    assert "aborted" in journal_schema()["properties"]["outcome"]["enum"]
    assert schema_problems(data) == []
    back = journal_from_data(json.loads(json.dumps(data)))
    assert back.outcome is Outcome.ABORTED
    assert back.error == data["error"]
    assert back == journal


def test_fault_notes_round_trip_and_older_journals_without_them_still_load(
        make_journal: MakeJournal, tmp_path: Path) -> None:
    notes = ("leased: healed by the proxy itself if this run dies (lease 30 s)",
             "unleased: a real Toxiproxy has no leases")
    journal = make_journal(fault_notes=notes)
    data: dict[str, Any] = journal_to_data(journal)
    assert data["faults"][0]["notes"] == list(notes)
    assert schema_problems(data) == []
    assert read_journal(write_journal(tmp_path, journal)).faults[0].notes == notes
    older = json.loads(json.dumps(data))
    del older["faults"][0]["notes"]                        # a journal written before fault notes
    assert schema_problems(older) == []
    assert journal_from_data(older).faults[0].notes == ()
    older["faults"][0]["notes"] = [1]
    assert any("$.faults[0].notes[0]" in p for p in schema_problems(older))


def test_open_model_requests_round_trip_and_version_1_journals_are_refused(
        make_journal: MakeJournal, tmp_path: Path) -> None:
    """Version 2: a request's sent_ns (open model) and the requests not sent, with in_flight."""
    journal = make_journal(outcome=Outcome.FAILED)
    assert journal.timeline is not None
    journal.timeline.append(RequestDone(label="api", method="GET", path="/api", start_ns=ns(0.5),
                                        end_ns=ns(0.9), status=200, sent_ns=ns(0.6)))
    journal.timeline.append(RequestDone(label="api", method="GET", path="/api", start_ns=ns(0.55),
                                        end_ns=ns(0.55), error=NOT_SENT, in_flight=8))
    data: dict[str, Any] = journal_to_data(journal)
    assert schema_problems(data) == []
    back = read_journal(write_journal(tmp_path, journal))
    assert back.timeline is not None
    assert [(r.sent_ns, r.in_flight) for r in back.timeline.requests() if r.sent_ns or r.not_sent] == [
        (ns(0.6), None), (None, 8)]
    unsent = [e for e in data["timeline"]["events"] if e.get("error") == NOT_SENT]
    unsent[0]["in_flight"] = -1
    assert any("in_flight" in p for p in schema_problems(data))
    older = journal_to_data(make_journal())                  # as version 1 wrote it: no sent_ns, no in_flight
    older["schema_version"] = older["timeline"]["schema_version"] = 1  # type: ignore[index]
    for event in older["timeline"]["events"]:                # type: ignore[index]
        event.pop("sent_ns", None)
        event.pop("in_flight", None)
    problems = schema_problems(older)
    assert any(p.startswith("$.schema_version:") for p in problems), problems
    assert any(p.startswith("$.timeline.schema_version:") for p in problems), problems
    with pytest.raises(ValueError, match=r"^journal: schema_version 1 is not supported \(expected one of 2\)$"):
        journal_from_data(older)
    stale = tmp_path / "v1.json"
    stale.write_text(json.dumps(older))
    with pytest.raises(JournalError, match=r"v1\.json: not a valid journal: \$\.schema_version"):
        read_journal(stale)


def test_exits_are_merged_by_pid_however_late_the_second_stamp() -> None:
    h = History()
    h.exit(1.0, -9, pid=4100)            # the experiment's stamp
    h.exit(3.5, -9, pid=4100)            # the probe's, 2.5 s later on a loaded machine: the same exit
    h.exit(4.0, -9, pid=4188)            # another process of the service: another exit
    h.exit(6.0, 0, pid=0)                # an older run's stamp without a PID ...
    h.exit(6.4, 0, pid=4200)             # ... and the probe's, within a second: the same exit
    h.exit(8.0, 0, pid=0)                # no PID and nothing to pair it with: kept as it is
    assert [(e.pid, e.exit_code, e.offset_s) for e in sut_exits(h.tl)] == [
        (4100, -9, 1.0), (4188, -9, 4.0), (4200, 0, 6.0), (0, 0, 8.0)]


def test_the_margin_rule_round_trips_and_older_journals_load_without_it(make_journal: MakeJournal) -> None:
    journal = make_journal(margin_rule=MarginRule(relative=0.5, floor_s=0.25, long_base_s=1.0, long_share=0.1))
    data: dict[str, Any] = journal_to_data(journal)
    assert data["margin_rule"] == {"relative": 0.5, "floor_s": 0.25, "long_base_s": 1.0, "long_share": 0.1}
    assert schema_problems(data) == []
    assert journal_from_data(json.loads(json.dumps(data))) == journal
    uncapped = json.loads(json.dumps(data))
    del uncapped["margin_rule"]["long_base_s"], uncapped["margin_rule"]["long_share"]   # written before the cap
    assert schema_problems(uncapped) == []
    assert journal_from_data(uncapped).margin_rule == MarginRule(relative=0.5, floor_s=0.25)
    older = json.loads(json.dumps(data))
    del older["margin_rule"]                                 # a version-2 journal written before it
    assert schema_problems(older) == []
    assert journal_from_data(older).margin_rule is None
    older["margin_rule"] = {"relative": "half"}
    assert any("$.margin_rule" in p for p in schema_problems(older))
    assert MarginRule(relative=0.5, floor_s=0.25).text() == "margin +50 %, at least 0.25 s"
    assert journal.margin_rule is not None
    assert journal.margin_rule.text() == "margin +50 % (at most 1 s + 10 %), at least 0.25 s"


def test_a_real_journal_records_the_margin_rule_of_its_run(catalog_run: Any) -> None:
    from chaos.experiment.timing import LONG_BUDGET_BASE_S, LONG_BUDGET_SHARE, RELATIVE_MARGIN, SCHEDULING_FLOOR_S

    assert _real_journal(catalog_run)["margin_rule"] == {
        "relative": RELATIVE_MARGIN, "floor_s": SCHEDULING_FLOOR_S,
        "long_base_s": LONG_BUDGET_BASE_S, "long_share": LONG_BUDGET_SHARE}
