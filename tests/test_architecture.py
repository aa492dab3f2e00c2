"""The shape of the code: no import circle in ``bot`` or ``governance``, no platform import in the core, and
tests that share helpers only through ``tests.factories`` and ``tests.fakes`` (the core's tests reaching no
``bot``).

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


def test_tests_import_only_the_factories_the_fakes_and_project_code() -> None:
    tests = arch.modules(ROOT, ["tests"])
    assert "tests.factories" in tests and "tests.governance.services.test_elections" in tests
    borrowed = arch.borrowed_imports(tests)
    assert borrowed == [], "test modules importing other test modules or conftests:\n" + "\n".join(borrowed)


def test_the_core_tests_reach_no_bot_and_no_platform() -> None:
    found = arch.core_test_platform_imports(arch.modules(ROOT, ["tests"]))
    assert found == [], "bot or platform imports reached from tests/governance:\n" + "\n".join(found)


def test_a_test_importing_another_test_module_or_a_conftest_is_named(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "tests/__init__.py": "",
            "tests/factories.py": "def person():\n    return 1\n",
            "tests/fakes/__init__.py": "",
            "tests/fakes/chat.py": "from tests.factories import person\n",
            "tests/bench/__init__.py": "",
            "tests/bench/smoke.py": "",
            "tests/a/__init__.py": "",
            "tests/a/conftest.py": "from tests.fakes.chat import person\n",
            "tests/a/droop.py": "",
            "tests/a/test_one.py": "def helper():\n    return 1\n",
            "tests/a/test_two.py": (
                "from governance import seed\n"
                "from tests.factories import person\n"
                "from tests.bench.smoke import run\n"  # a named helper
                "from tests.a.conftest import thing\n"
                "from droop import read\n"  # only works because pytest put tests/a on sys.path
                "def test_it():\n    from .test_one import helper\n"
            ),
        },
    )
    found = arch.borrowed_imports(arch.modules(tmp_path, ["tests"]))
    assert found == [
        "tests.a.test_two -> droop.read",
        "tests.a.test_two -> tests.a.conftest.thing",
        "tests.a.test_two -> tests.a.test_one.helper",
    ]


def test_a_core_test_reaching_bot_directly_or_through_a_helper_is_named(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "tests/__init__.py": "",
            "tests/factories.py": "def say():\n    from bot.commands import dispatch\n",
            "tests/governance/__init__.py": "",
            "tests/governance/test_a.py": "from tests.factories import say\n",
            "tests/governance/test_b.py": "import discord\nfrom governance import seed\n",
            "tests/bot/__init__.py": "",
            "tests/bot/test_c.py": "from bot.commands import dispatch\n",  # the bot's own tests may
        },
    )
    found = arch.core_test_platform_imports(arch.modules(tmp_path, ["tests"]))
    assert found == [
        "tests.governance.test_a -> tests.factories -> bot.commands.dispatch",
        "tests.governance.test_b -> discord",
    ]
