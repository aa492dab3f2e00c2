"""The shape of the code: no import circle in ``bot`` or ``governance``, and no platform import in the core.

The figures come from ``.ci/architecture.py`` (run it to print them all, sizes included); every import
counts, the ones inside functions too, so an import moved into a function to dodge a circle still fails.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _architecture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("architecture", ROOT / ".ci" / "architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("architecture", module)  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


arch = _architecture()


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_no_import_circle_in_bot_or_governance() -> None:
    graph = arch.import_graph(arch.modules())
    assert "bot.cli" in graph and "governance.services.scheduling.runner" in graph  # the packages were read
    circles = arch.cycles(graph)
    assert circles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_the_core_imports_no_platform() -> None:
    found = arch.core_platform_imports(arch.modules())
    assert found == [], "platform imports in governance/:\n" + "\n".join(found)


def test_a_circle_through_a_function_level_import_is_found_and_printed(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import c\n    return c\n",
            "pkg/c.py": "from . import a\n",
            "pkg/d.py": "import pkg.a\n",  # imports into the circle, is not part of it
        },
    )
    graph = arch.import_graph(arch.modules(tmp_path, ["pkg"]))
    assert graph["pkg.c"] == {"pkg.a"}  # a relative import, made absolute
    assert arch.cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pkg/__init__.py": "", "pkg/a.py": "import os\nfrom pkg import b\n", "pkg/b.py": "x = 1\n"}, []),
        (
            {"pkg/__init__.py": "from pkg.a import f\n", "pkg/a.py": "from pkg import b\n", "pkg/b.py": ""},
            [],
        ),
        (
            {"pkg/__init__.py": "", "pkg/a.py": "from pkg.b import f\n", "pkg/b.py": "from pkg.a import g\n"},
            [["pkg.a", "pkg.b", "pkg.a"]],
        ),
    ],
)
def test_only_real_circles_are_reported(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    _package(tmp_path, files)
    assert arch.cycles(arch.import_graph(arch.modules(tmp_path, ["pkg"]))) == expected


def test_a_platform_import_in_the_core_is_named(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "governance/__init__.py": "",
            "governance/x.py": "def f():\n    import slack_sdk.web\n",
            "bot/__init__.py": "import discord\n",
        },
    )
    found = arch.core_platform_imports(arch.modules(tmp_path, ["bot", "governance"]))
    assert found == ["governance.x -> slack_sdk.web"]
