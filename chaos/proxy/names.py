"""Proxy and toxic names: the alphabet and length the API stores, and how errors quote any name.

Toxiproxy stores any string as a name. Ours are checked before anything is stored, because a name
lives on in URL paths (`/proxies/{proxy}/toxics/{toxic}`), JSON answers, metrics labels and log
lines: a lone UTF-16 surrogate made every later listing fail to encode, and a 300,000-character
name could be created but never addressed again (the request line got too long).

A name is 1 to 128 printable ASCII characters (space to `~`) except `/` `?` `#` `%`, without a
leading or trailing space, and not `.` or `..`. So any client can put it in a URL path, escaped or
not, and get back the same name.
"""

from __future__ import annotations

__all__ = ["NAME_MAX_CHARS", "NAME_RULE", "describe_name", "name_problem"]

NAME_MAX_CHARS = 128
NAME_RULE = (f"1-{NAME_MAX_CHARS} printable ASCII characters other than / ? # %, "
             "no leading or trailing space, not . or ..")
_FORBIDDEN = frozenset("/?#%")
_QUOTE_MAX_CHARS = 64  # how much of an unusable name an error message repeats


def name_problem(name: str) -> str | None:
    """Why `name` cannot be stored (one phrase naming the offending character), or None if it can."""
    if not name:
        return "empty"
    if len(name) > NAME_MAX_CHARS:
        return f"{len(name)} characters, more than {NAME_MAX_CHARS}"
    for char in name:
        if not " " <= char <= "~" or char in _FORBIDDEN:
            return f"character {char!a} not allowed"
    if name != name.strip(" "):
        return "leading or trailing space"
    if name in (".", ".."):
        return f"{name!r} cannot be addressed in a URL path"
    return None


def describe_name(name: str) -> str:
    """`name` as an error message shows it: as is when storable, else escaped and cut short, so a
    hostile path never puts control characters, surrogates or megabytes into an answer or a log."""
    if name_problem(name) is None:
        return name
    if len(name) > _QUOTE_MAX_CHARS:
        return f"{name[:_QUOTE_MAX_CHARS]!a}... ({len(name)} characters)"
    return ascii(name)
