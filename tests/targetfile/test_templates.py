"""render() and template_names(): substitution, escapes, and errors that name the placeholder."""

from __future__ import annotations

import pytest

from chaos.targetfile import TemplateError, render
from chaos.targetfile.templates import template_names


def test_render_substitutes_names_and_dotted_names() -> None:
    values = {"port": "8000", "postgres.url": "postgresql://a@127.0.0.1:1/app"}
    assert render("http://127.0.0.1:{port}/x", values) == "http://127.0.0.1:8000/x"
    assert render("{postgres.url}?sslmode=disable", values) == "postgresql://a@127.0.0.1:1/app?sslmode=disable"


def test_doubled_braces_are_literal() -> None:
    assert render('{{"port": {port}}}', {"port": "1"}) == '{"port": 1}'
    assert template_names("{{not a name}}") == []


def test_template_names_lists_in_order() -> None:
    assert template_names("{a}-{b.url}-{a}") == ["a", "b.url", "a"]


def test_unknown_name_is_named() -> None:
    with pytest.raises(TemplateError, match=r"unknown template name \{prot\}"):
        render("{prot}", {"port": "1"})


@pytest.mark.parametrize("template", ["{port", "port}", "{a}}", "x{"])
def test_unbalanced_braces_are_rejected(template: str) -> None:
    with pytest.raises(TemplateError, match="unbalanced"):
        template_names(template)


@pytest.mark.parametrize("template", ["{}", "{a b}", "{1x}", "{a.b.c}"])
def test_invalid_names_are_rejected(template: str) -> None:
    with pytest.raises(TemplateError, match="invalid template name"):
        template_names(template)
