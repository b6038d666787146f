"""The answer vocabulary: how a target file says what its service's answers look like, and the pure
matcher every contract and steady-state check judges answers with.

    spec.py      Status, Header, JsonValue, BodyMatches, AllOf, AnyOf, Not: answer specs as values
    capture.py   Capture, capture_of, extract: what of a response to keep so specs can be judged later
    match.py     holds, shown, outcome_of: judge a recorded request, say what it showed

Parsing answer specs from TOML, with every problem named, is the target file loader's
(`chaos.targetfile.answers`); the defaults per contract are in the catalog
(`chaos.targetfile.catalog`).
"""

from chaos.answers.capture import JSON_LIMIT_BYTES as JSON_LIMIT_BYTES
from chaos.answers.capture import NOTHING as NOTHING
from chaos.answers.capture import Capture as Capture
from chaos.answers.capture import SeenValue as SeenValue
from chaos.answers.capture import capture_of as capture_of
from chaos.answers.capture import extract as extract
from chaos.answers.match import REFUSED_ERRORS as REFUSED_ERRORS
from chaos.answers.match import RESET_ERRORS as RESET_ERRORS
from chaos.answers.match import TIMEOUT_ERRORS as TIMEOUT_ERRORS
from chaos.answers.match import Observed as Observed
from chaos.answers.match import holds as holds
from chaos.answers.match import outcome_of as outcome_of
from chaos.answers.match import shown as shown
from chaos.answers.spec import AllOf as AllOf
from chaos.answers.spec import Answer as Answer
from chaos.answers.spec import AnyOf as AnyOf
from chaos.answers.spec import BodyMatches as BodyMatches
from chaos.answers.spec import Header as Header
from chaos.answers.spec import JsonPath as JsonPath
from chaos.answers.spec import JsonValue as JsonValue
from chaos.answers.spec import Not as Not
from chaos.answers.spec import Outcome as Outcome
from chaos.answers.spec import Scalar as Scalar
from chaos.answers.spec import Status as Status
from chaos.answers.spec import describe as describe

__all__ = [
    "JSON_LIMIT_BYTES",
    "NOTHING",
    "REFUSED_ERRORS",
    "RESET_ERRORS",
    "TIMEOUT_ERRORS",
    "AllOf",
    "Answer",
    "AnyOf",
    "BodyMatches",
    "Capture",
    "Header",
    "JsonPath",
    "JsonValue",
    "Not",
    "Observed",
    "Outcome",
    "Scalar",
    "SeenValue",
    "Status",
    "capture_of",
    "describe",
    "extract",
    "holds",
    "outcome_of",
    "shown",
]
