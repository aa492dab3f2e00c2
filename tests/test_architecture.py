"""The core stays free of people and time: no module under ``governance/`` imports a platform or the bot.

Read from the source with ``ast`` (imports inside functions count too), so a lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("bot", "discord", "slack_bolt", "slack_sdk", "apscheduler")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imported_modules_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import os\ndef f():\n    from slack_sdk import WebClient\n    import bot.cli\n")
    assert imported_modules(source) == {"os", "slack_sdk", "bot.cli"}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "governance").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_core_imports_no_platform_and_not_the_bot(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: the core must not know platforms or the bot"
