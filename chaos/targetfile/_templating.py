"""Checking the templates of one target file, and resolving its `{env.NAME}` values as it loads.

`{env.NAME}` comes from the runner's environment (a token, a password), so it is resolved here,
once, and every value so obtained is remembered as a secret for the reports to mask. The other
names (`{port}`, `{postgres.url}`) are only known when an environment runs and stay templates.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from chaos.targetfile._fields import Problems, describe
from chaos.targetfile.templates import ENV_PREFIX, TemplateError, render, render_some, template_names

__all__ = ["MIN_SECRET_LENGTH", "RUN_TOKEN", "TemplateScope", "looks_secret"]

RUN_TOKEN = "unique"
"""`{unique}` in a request's header: kept as written, the experiment puts its per-run token there."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking "app" or "1" would garble every line without protecting
anything."""

_SECRET_WORDS = ("authorization", "cookie", "token", "secret", "password", "passwd", "api-key", "api_key",
                 "apikey", "credential", "private")


def looks_secret(name: str) -> bool:
    """A header or variable name whose value is a credential (Authorization, X-Api-Key, DB_PASSWORD...)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


class TemplateScope:
    """The template names a file may use, plus the runner's environment for `{env.NAME}`."""

    def __init__(self, names: Iterable[str], environ: Mapping[str, str], *, broken: Iterable[str] = ()) -> None:
        self.names = list(names)
        self.environ = environ
        self.broken = frozenset(broken)   # dependencies declared but invalid: their errors are already told
        self.secrets: set[str] = set()
        self._known_listed = False   # the known names are printed once per file, not per problem

    def check(self, problems: Problems, key: str, value: str, *, literal_only: bool = False) -> str | None:
        """`value` with `{env.NAME}` resolved, or None after recording its problems. With `literal_only`
        (headers) no other template name is allowed but `{unique}` (left for the experiment to fill),
        and the result is plain text."""
        try:
            used = template_names(value)
        except TemplateError as exc:
            problems.add(key, f"bad template: {exc}")
            return None
        env_values: dict[str, str] = {}
        ok = True
        for name in used:
            if name.startswith(ENV_PREFIX):
                variable = name[len(ENV_PREFIX):]
                if variable not in self.environ:
                    problems.add(key, f"{{{name}}}: the environment variable {variable} is not set "
                                      "(export it before running the suite)")
                    ok = False
                else:
                    env_values[name] = self.environ[variable]
            elif literal_only and name != RUN_TOKEN:
                problems.add(key, f"{{{name}}} cannot be used here: only {{env.NAME}} and {{{RUN_TOKEN}}} "
                                  "templates are resolved in headers")
                ok = False
            elif literal_only:
                continue
            elif name not in self.names:
                if name.partition(".")[0] in self.broken:
                    ok = False   # the dependency's own problem is reported; do not guess at a twin
                    continue
                close = difflib.get_close_matches(name, self.names, n=1, cutoff=0.6)
                hint = f"; did you mean {{{close[0]}}}?" if close else "" if self._known_listed \
                    else f" (known: {', '.join(self.names)})"
                self._known_listed = self._known_listed or not close
                problems.add(key, f"unknown template name {{{name}}} in {describe(value)}{hint}")
                ok = False
        if not ok:
            return None
        self.secrets.update(v for v in env_values.values() if len(v) >= MIN_SECRET_LENGTH)
        resolved = render_some(value, env_values)
        return render(resolved, {RUN_TOKEN: "{" + RUN_TOKEN + "}"}) if literal_only else resolved

    def remember_secret(self, value: str) -> None:
        """A literal credential (a header or variable whose name says so) is masked like an env value."""
        if len(value) >= MIN_SECRET_LENGTH:
            self.secrets.add(value)
