"""Every shell block the docs mark as runnable runs, as written, with the exit code they promise.

A block is marked by an HTML comment on the line before its fence: `<!-- runnable -->` (exit 0) or
`<!-- runnable: exit 1 -->`. The commands of the docs that are not marked (the set-up commands,
which run this very suite; `chaos up` in the foreground; the game day's prompts) are run by the
tests of their parts (tests/env/test_cli.py, tests/pytest_plugin/test_gameday.py) and by CI.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"<!-- runnable(?:: exit (\d+))? -->\n```(?:sh|bash)\n(.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    doc: str
    line: int
    command: str
    exit_code: int


def _blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for match in _BLOCK.finditer(text):
            line = text[:match.start()].count("\n") + 1
            found.append(Block(doc=doc.name, line=line, command=match.group(2).strip(),
                               exit_code=int(match.group(1) or 0)))
    return found


BLOCKS = _blocks()


def test_the_readme_has_runnable_blocks() -> None:
    assert [b for b in BLOCKS if b.doc == "README.md"], "the README's tutorial lost its runnable markers"


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.doc}:{b.line}" for b in BLOCKS])
def test_runnable_block(block: Block) -> None:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.command], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == block.exit_code, (
        f"{block.doc}:{block.line}: `{block.command}` exited {done.returncode}, the docs say {block.exit_code}\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
