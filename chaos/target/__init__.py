"""Target files (`chaos.toml`): what the SUT is, how to start it, its dependencies and its contracts."""

from chaos.target.catalog import CONTRACTS as CONTRACTS
from chaos.target.catalog import Param as Param
from chaos.target.catalog import ParamKind as ParamKind
from chaos.target.guards import GuardSpec as GuardSpec
from chaos.target.loader import load_target as load_target
from chaos.target.loader import template_values_names as template_values_names
from chaos.target.model import ContractSpec as ContractSpec
from chaos.target.model import Dependency as Dependency
from chaos.target.model import DependencyKind as DependencyKind
from chaos.target.model import LoadDefaults as LoadDefaults
from chaos.target.model import ParamValue as ParamValue
from chaos.target.model import RequestLine as RequestLine
from chaos.target.model import Service as Service
from chaos.target.model import Target as Target
from chaos.target.templates import TemplateError as TemplateError
from chaos.target.templates import render as render

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
    "RequestLine",
    "Service",
    "Target",
    "TemplateError",
    "load_target",
    "render",
    "template_values_names",
]
