"""The contract reference, generated from the catalog the loader validates against.

`chaos contracts [NAME]` prints it and docs/contracts.md is this text (a test fails when the two
drift apart, as k6 generates its option reference): each contract's parameters (type, unit,
default, role, meaning), its answer conventions with their defaults, every check its experiments
make and what each accepts, and the faults it injects.
"""

from __future__ import annotations

from chaos.answers import describe
from chaos.targetfile.catalog import ANSWER_DEFAULTS, ANSWER_MEANINGS, CONTRACTS, Contract
from chaos.targetfile.params import Param, ParamKind, Role

__all__ = ["contract_reference", "document"]

_HEADER = """# Contract reference

Generated from the catalog (`chaos/targetfile/catalog.py`) by `chaos contracts`; do not edit by
hand (`tests/targetfile/test_contract_docs.py` fails when this file and the catalog differ). The
target-file format around these tables is in [target-file.md](target-file.md).

Each `[contracts.<name>]` table names the contract and sets its parameters. A parameter's *role*
says where its value comes from:

| role | meaning |
|---|---|
""" + "".join(f"| {r.value} | {r.meaning} |\n" for r in Role) + """
Answer parameters name a convention of the service (how a degraded or not-ready answer looks).
Each is an answer spec (see "The answer vocabulary" in target-file.md); it defaults to the
file's `[answers]` table, then to the default below, and can be set in the contract's own table.

## Answer conventions and their defaults

| answer | default | meaning |
|---|---|---|
"""


def document() -> str:
    """The whole reference (docs/contracts.md)."""
    rows = "".join(f"| `{name}` | {_default_answer(name)} | {ANSWER_MEANINGS[name]} |\n" for name in ANSWER_DEFAULTS)
    return _HEADER + rows + "".join("\n" + contract_reference(name) for name in CONTRACTS)


def _default_answer(name: str) -> str:
    default = ANSWER_DEFAULTS[name]
    return "none" if default is None else f"`{describe(default)}`"


def contract_reference(name: str) -> str:
    """One contract's section."""
    contract = CONTRACTS[name]
    lines = [f"## `{contract.name}`", "", contract.summary, ""]
    if contract.needs:
        lines += [f"Needs {contract.needs}; without it the target file is refused.", ""]
    lines += ["**Faults**", ""] + [f"- {fault}" for fault in contract.faults] + [""]
    lines += ["**Checks** (each a part of the verdict)", "", "| check | passes when |", "|---|---|"]
    lines += [f"| `{check.name}` | {check.accepts} |" for check in contract.checks]
    lines += ["", "**Parameters**", "", "| parameter | type | default | role | meaning |", "|---|---|---|---|---|"]
    lines += [_param_row(p) for p in contract.params.values()]
    lines += ["", "```toml", *_example(contract), "```", ""]
    return "\n".join(lines)


def _param_row(param: Param) -> str:
    kind = param.kind.value + (f" ({param.kind.unit})" if param.kind.unit else "")
    if param.dependency_kind is not None:
        kind += f", kind {param.dependency_kind.value}"
    answer = param.kind is ParamKind.ANSWER
    shown = f"[answers], else {_default_answer(param.name)}" if answer else param.default_text()
    return f"| `{param.name}` | {kind} | {shown} | {param.role.value} | {param.doc} |"


_EXAMPLE_VALUES = {
    ParamKind.SECONDS: "1.0",
    ParamKind.COUNT: "5",
    ParamKind.MILLISECONDS: "500",
    ParamKind.REQUEST: '"GET /api/items"',
    ParamKind.PROCESS: '"service"',
}
_EXAMPLE_DEPENDENCIES = {"postgres": '"postgres"', "redis": '"redis"', "http": '"external"'}


def _example(contract: Contract) -> list[str]:
    """The smallest table the loader accepts: the required parameters (with placeholder values)."""
    lines = [f"[contracts.{contract.name}]"]
    for param in contract.params.values():
        if not param.required:
            continue
        if param.kind is ParamKind.DEPENDENCY:
            value = _EXAMPLE_DEPENDENCIES[param.dependency_kind.value if param.dependency_kind else "postgres"]
        else:
            value = _EXAMPLE_VALUES.get(param.kind, '"..."')
        lines.append(f"{param.name} = {value}")
    return lines
