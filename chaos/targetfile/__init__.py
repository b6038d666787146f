"""Target files (`chaos.toml`): what the SUT is, how to start it, its dependencies and its contracts."""

from chaos.targetfile.catalog import CONTRACTS as CONTRACTS
from chaos.targetfile.catalog import Param as Param
from chaos.targetfile.catalog import ParamKind as ParamKind
from chaos.targetfile.guards import GuardSpec as GuardSpec
from chaos.targetfile.loader import load_target as load_target
from chaos.targetfile.loader import template_values_names as template_values_names
from chaos.targetfile.model import ContractSpec as ContractSpec
from chaos.targetfile.model import Dependency as Dependency
from chaos.targetfile.model import DependencyKind as DependencyKind
from chaos.targetfile.model import LoadDefaults as LoadDefaults
from chaos.targetfile.model import ParamValue as ParamValue
from chaos.targetfile.model import RequestLine as RequestLine
from chaos.targetfile.model import Service as Service
from chaos.targetfile.model import Target as Target
from chaos.targetfile.processes import ProcessSpec as ProcessSpec
from chaos.targetfile.templates import TemplateError as TemplateError
from chaos.targetfile.templates import render as render

__all__ = [
    "CONTRACTS",
    "ContractSpec",
    "Dependency",
    "DependencyKind",
    "GuardSpec",
    "LoadDefaults",
    "Param",
    "ParamKind",
    "ParamValue",
    "ProcessSpec",
    "RequestLine",
    "Service",
    "Target",
    "TemplateError",
    "load_target",
    "render",
    "template_values_names",
]
