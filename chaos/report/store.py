"""Journals on disk: one JSON file per experiment under `<report dir>/journals/`, named for its node id.

Every pytest-xdist worker writes its own experiments' files; whichever process builds the HTML
reads them all back from the directory, so nothing has to travel between processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from chaos.errors import JournalError
from chaos.report.journal import Journal, ProcessLog, journal_from_data, journal_to_data
from chaos.report.masking import SecretMask
from chaos.report.schema import schema_problems

__all__ = ["JOURNALS_DIR", "LOGS_DIR", "clear_journals", "journal_path", "keep_logs", "mask_journal", "nodeid_slug",
           "read_journal", "read_journals", "write_journal"]

JOURNALS_DIR: Final = "journals"
LOGS_DIR: Final = "logs"
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_SLUG: Final = 120


def nodeid_slug(nodeid: str) -> str:
    """A file-name-safe form of a pytest node id, readable and distinct per node id.

    `experiments/test_cache.py::test_x[a]` -> `experiments-test_cache.py--test_x-a`; a short hash
    of the node id is added when characters had to be dropped or the name cut, so two ids never
    share a file.
    """
    readable = nodeid.replace("::", "--").replace("/", "-")
    slug = _UNSAFE.sub("-", readable).strip("-.") or "experiment"
    if slug != readable or len(slug) > _MAX_SLUG:
        digest = hashlib.sha1(nodeid.encode()).hexdigest()[:8]
        slug = f"{slug[:_MAX_SLUG]}-{digest}"
    return slug


def journal_path(report_dir: Path, nodeid: str) -> Path:
    """Where the journal of `nodeid` goes: `<report_dir>/journals/<slug>.json`."""
    return report_dir / JOURNALS_DIR / f"{nodeid_slug(nodeid)}.json"


def mask_journal(journal: Journal, mask: SecretMask) -> Journal:
    """The journal with every secret masked (through its one JSON form, so nothing is missed)."""
    return journal if not mask else journal_from_data(mask.data(journal_to_data(journal)))


def keep_logs(report_dir: Path, nodeid: str, logs: Sequence[ProcessLog], texts: Mapping[str, str]
              ) -> tuple[ProcessLog, ...]:
    """Write each process's whole log of a failed experiment to `<report_dir>/logs/<slug>/<process>.log`
    (the env's own log files go with its work dir) and say so in the records."""
    directory = report_dir / LOGS_DIR / nodeid_slug(nodeid)
    directory.mkdir(parents=True, exist_ok=True)
    kept = []
    for log in logs:
        path = directory / f"{_UNSAFE.sub('-', log.process)}.log"
        path.write_text(texts.get(log.process, log.text), encoding="utf-8")
        kept.append(dataclasses.replace(log, kept_at=str(path)))
    return tuple(kept)


def write_journal(report_dir: Path, journal: Journal) -> Path:
    """Write `journal` atomically (temp file + rename) and return its path."""
    path = journal_path(report_dir, journal.nodeid)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(journal_to_data(journal), indent=1, ensure_ascii=False, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)   # mkstemp's 0600 would hide the report from the other readers of a CI artifact
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_journal(path: Path) -> Journal:
    """Load and validate one journal; JournalError names the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JournalError(path=str(path), problem=f"cannot read it: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise JournalError(path=str(path), problem=f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise JournalError(path=str(path), problem=f"expected a JSON object, got {type(data).__name__}")
    problems = schema_problems(data)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise JournalError(path=str(path), problem="not a valid journal: " + "; ".join(problems[:3]) + more)
    try:
        return journal_from_data(data)
    except ValueError as exc:
        raise JournalError(path=str(path), problem=str(exc)) from exc


def read_journals(paths: Iterable[Path]) -> list[Journal]:
    """Journals from files and directories (a directory: its `*.json`, or its `journals/*.json`),
    grouped by contract then node id, the order the report shows them in."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inner = path / JOURNALS_DIR if (path / JOURNALS_DIR).is_dir() else path
            files.extend(sorted(inner.glob("*.json")))
        else:
            files.append(path)
    journals = [read_journal(f) for f in files]
    journals.sort(key=lambda j: (j.contract_name, j.nodeid))
    return journals


def clear_journals(report_dir: Path) -> None:
    """Remove the journals of an earlier run from `report_dir` (only `journals/*.json`), so the next
    report shows this run alone."""
    folder = report_dir / JOURNALS_DIR
    if folder.is_dir():
        for stale in folder.glob("*.json"):
            stale.unlink(missing_ok=True)
    shutil.rmtree(report_dir / LOGS_DIR, ignore_errors=True)   # the kept logs of that run's failures
