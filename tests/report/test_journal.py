"""The journal: one JSON form, a lossless round trip, and a schema that real and hand-built journals meet."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaos.errors import JournalError
from chaos.observe import EVENT_TYPES, ProcessExited
from chaos.report import (
    Journal,
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
    assert data["schema_version"] == 1
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
    future.write_text(json.dumps({**journal_to_data(make_journal()), "schema_version": 2}))
    with pytest.raises(JournalError, match=r"b\.json: not a valid journal: \$\.schema_version"):
        read_journal(future)
    with pytest.raises(ValueError, match="schema_version 2 is not supported"):
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
    assert data["schema_version"] == 1                     # an added enum value: still version 1
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
    del older["faults"][0]["notes"]                        # a version-1 journal written before fault notes
    assert schema_problems(older) == []
    assert journal_from_data(older).faults[0].notes == ()
    older["faults"][0]["notes"] = [1]
    assert any("$.faults[0].notes[0]" in p for p in schema_problems(older))
