"""Answer specs for hand-built tests, written as a target file writes them (`503`, `"2xx"`,
`{ json = "degraded", equals = true }`), parsed by the loader's own parser so tests and target files
speak one grammar."""

from __future__ import annotations

from chaos.answers import Answer, JsonPath
from chaos.targetfile._fields import Problems
from chaos.targetfile.answers import parse_answer, parse_json_path


def answer(value: object) -> Answer:
    """The answer spec `value` means in a target file; a test that writes a bad one fails at once."""
    problems = Problems()
    parsed = parse_answer(problems, "answer", value)
    assert not problems, problems.lines
    assert parsed is not None
    return parsed


def json_path(text: str) -> JsonPath:
    """The JSON path `text` means in an answer's `json = "..."`."""
    problems = Problems()
    parsed = parse_json_path(problems, "json", text)
    assert not problems, problems.lines
    assert parsed is not None
    return parsed


HEALTHY = answer("2xx")                    # the catalog's default healthy answer
OK = answer(200)                           # what the contracts accepted before answers existed
NOT_READY_503 = answer(503)                # the old readiness default: a 503 and nothing else
NOT_READY = answer([503, "refused", "reset"])   # the catalog's default not_ready answer
