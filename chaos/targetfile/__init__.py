"""Target files (`chaos.toml`): what the SUT is, how to start it, its dependencies, its conventions
(answers) and its contracts.

    loader.py             load_target: read once, check every key, raise one TargetFileError
    model.py              Target, Service, Dependency, LoadDefaults, ContractSpec, RequestTemplate
    catalog.py            CONTRACTS: every contract's parameters, faults and checks; ANSWER_DEFAULTS
    params.py             Param, ParamKind, Role: what a contract parameter is
    answers.py            answer specs from TOML (the vocabulary itself is chaos.answers)
    request_templates.py  requests and header tables
    contract_tables.py    [answers] and [contracts.*] against the catalog
    dependency_tables.py  [dependencies.*], with the fake API's stubs
    guards.py             [guards]: stop conditions
    attach.py             [attach]: a deployment that runs already, its Toxiproxy, admin access, commands
    templates.py          {name} templates: parse, list, render
"""

from chaos.targetfile.catalog import ANSWER_DEFAULTS as ANSWER_DEFAULTS
from chaos.targetfile.catalog import CONTRACTS as CONTRACTS
from chaos.targetfile.catalog import Check as Check
from chaos.targetfile.catalog import Contract as Contract
from chaos.targetfile.guards import GuardSpec as GuardSpec
from chaos.targetfile.loader import load_target as load_target
from chaos.targetfile.loader import template_values_names as template_values_names
from chaos.targetfile.model import ContractSpec as ContractSpec
from chaos.targetfile.model import Dependency as Dependency
from chaos.targetfile.model import DependencyKind as DependencyKind
from chaos.targetfile.model import LoadDefaults as LoadDefaults
from chaos.targetfile.model import ParamValue as ParamValue
from chaos.targetfile.model import RequestTemplate as RequestTemplate
from chaos.targetfile.model import RestartRule as RestartRule
from chaos.targetfile.model import Service as Service
from chaos.targetfile.model import Target as Target
from chaos.targetfile.params import Param as Param
from chaos.targetfile.params import ParamKind as ParamKind
from chaos.targetfile.params import Role as Role
from chaos.targetfile.prepare import Prepare as Prepare
from chaos.targetfile.processes import ProcessSpec as ProcessSpec
from chaos.targetfile.templates import TemplateError as TemplateError
from chaos.targetfile.templates import render as render

__all__ = [
    "ANSWER_DEFAULTS",
    "CONTRACTS",
    "Check",
    "Contract",
    "ContractSpec",
    "Dependency",
    "DependencyKind",
    "GuardSpec",
    "LoadDefaults",
    "Param",
    "ParamKind",
    "ParamValue",
    "Prepare",
    "ProcessSpec",
    "RequestTemplate",
    "RestartRule",
    "Role",
    "Service",
    "Target",
    "TemplateError",
    "load_target",
    "render",
    "template_values_names",
]
