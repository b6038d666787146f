"""Property: whatever a target file holds, `load_target` returns a Target or raises TargetFileError,
with one short line per problem, in bounded time (issue 15, item 5).

Mutations start from the reference target (fixtures/sut/chaos.toml; see support.target_mutations):
values, keys, types and nesting changed, hostile values put in, bytes garbled. Derandomized and
bounded, so a CI run is the same run every time and takes seconds; bench/fuzz_target_loader.py runs
the same mutator over thousands of seeds.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.target_mutations import REFERENCE, mutate

from chaos.errors import TargetFileError
from chaos.targetfile import load_target
from chaos.targetfile._fields import MAX_PROBLEM_CHARS, Problems
from chaos.targetfile._templating import TemplateScope
from chaos.targetfile.answers import parse_answer
from chaos.targetfile.request_templates import parse_headers, parse_request

PER_FILE_S = 2.0
"""A hang guard, not a benchmark: a load takes milliseconds (the bench script prints the slowest)."""

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=250,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ENVIRON = {"CHAOS_TOKEN": "s3cret-token"}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the module's files (a fixture per example would be torn down per example)."""
    return tmp_path_factory.mktemp("fuzz") / "chaos.toml"


def test_the_reference_target_loads() -> None:
    assert load_target(REFERENCE, environ=ENVIRON).contracts   # the mutations start from a good file


@pytest.mark.timeout(120)
@settings(FUZZ, max_examples=1000)
@given(seed=st.integers(min_value=0, max_value=2**64))
def test_only_target_file_errors_come_out(scratch: Path, seed: int) -> None:
    mutation = mutate(random.Random(seed))   # the bench script's mutator, so a seed replays there too
    scratch.write_bytes(mutation.content)
    started = time.monotonic()
    error: TargetFileError | None = None
    try:
        load_target(scratch, environ=ENVIRON)
    except TargetFileError as exc:   # anything else fails the test with its traceback
        error = exc
    elapsed = time.monotonic() - started
    assert elapsed < PER_FILE_S, (mutation.steps, elapsed)
    if error is not None:
        message = str(error)
        assert message.startswith(f"{scratch}: "), mutation.steps
        assert error.problems, mutation.steps
        assert all("\n" not in p and len(p) <= MAX_PROBLEM_CHARS for p in error.problems), (mutation.steps, message)
        assert len(message.splitlines()) <= 1 + TargetFileError.MAX_SHOWN + 1, mutation.steps


# --- the table parsers, on any TOML value ------------------------------------------------------------

_SCALARS = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.text(max_size=30),
    st.sampled_from(["5xx", "refused", "reset", "timeout", "X-Cache", "meta.a[0]", "$.x", "(", "{env.CHAOS_TOKEN}",
                     "{env.NOPE}", "{unique}", "{port}", "GET /x", "POST /y?z=1", "get", ""]),
    st.dates(), st.times(),
)
_KEYS = st.one_of(st.sampled_from(["status", "header", "json", "equals", "matches", "present", "body_matches",
                                   "all", "any", "not", "line", "form", "text", "content_type", "headers",
                                   "Authorization", "X-Api-Key"]), st.text(max_size=10))
TOML_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(_KEYS, inner, max_size=4)),
                           max_leaves=20)


def _single_lines(problems: Problems) -> bool:
    return all("\n" not in p and len(p) <= MAX_PROBLEM_CHARS for p in problems.lines)


@FUZZ
@given(value=TOML_VALUES)
def test_parse_answer_gives_an_answer_or_problems(value: Any) -> None:
    problems = Problems()
    answer = parse_answer(problems, "[answers].x", value)
    assert (answer is None) == bool(problems.lines)
    assert _single_lines(problems)


@FUZZ
@given(value=TOML_VALUES)
def test_parse_request_and_headers_give_a_value_or_problems(value: Any) -> None:
    problems = Problems()
    parse_request(problems, "[contracts.x].request", value, TemplateScope(["port"], ENVIRON))
    parse_headers(problems, "[service].headers", value, TemplateScope(["port"], ENVIRON))
    assert _single_lines(problems)
