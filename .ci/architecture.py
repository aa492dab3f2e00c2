"""The shape of the code in figures: import circles, module and function sizes, platform imports in the core,
and what the tests import.

Run ``python .ci/architecture.py`` from the repository's root (standard library only, nothing is
imported: every file is read with ``ast``). It prints the figures with their targets and exits with 1
when one is missed. ``tests/test_architecture.py`` asserts the same figures.

An import is an edge wherever it is written: at module level or inside a function (an import put in a
function only to dodge a circle is still a circle). ``from package import name`` is an edge to
``package.name`` when that is a module of the project, else to ``package``; importing ``a.b`` is an edge to
``a.b`` only (not to the package ``a`` that Python initialises first).

The tests mirror the packages (``tests/governance`` for the core, ``tests/bot`` for the bot) and share
their helpers through ``tests.factories`` and the platform fakes ``tests.fakes``: a module under ``tests/``
imports nothing else of ``tests`` (no test module, no conftest) except the few readers of reference data
named in ``TEST_HELPERS``, and nothing the core's tests reach imports ``bot`` or a platform.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "governance")
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 120
PLATFORM_IMPORTS = ("bot", "discord", "slack_bolt", "slack_sdk", "apscheduler")
TESTS = "tests"
CORE_TESTS = "tests.governance"
# What a module under tests/ may import from tests/: the factories, the fakes, and these readers of
# reference data and of the published site, each used beside its own tests.
TEST_SHARED = ("tests.factories", "tests.fakes")
TEST_HELPERS = (
    "tests.bench.smoke",
    "tests.bot.publish.site_checks",
    "tests.governance.tally.droop_reports",
    "tests.governance.tally.realdata",
)


@dataclass(frozen=True)
class Module:
    """One project module: its dotted name, file and parsed tree."""

    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        """True for a package's ``__init__``, whose relative imports start from the package itself."""
        return self.path.name == "__init__.py"


def modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Module]:
    """Every Python module of the given packages under ``root``, by dotted name."""
    found: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def imported_names(module: Module) -> Iterator[str]:
    """The dotted names ``module`` imports, anywhere in its file, with relative imports made absolute."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.name.split(".")
                if not module.is_package:
                    anchor.pop()
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}" if alias.name != "*" else base


def import_graph(found: Mapping[str, Module]) -> dict[str, set[str]]:
    """Each project module -> the project modules it imports (itself excluded)."""
    graph: dict[str, set[str]] = {}
    for name, module in found.items():
        targets: set[str] = set()
        for imported in imported_names(module):
            while imported and imported not in found:  # `from a.b import func` names the module a.b
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles: every strongly connected component of more than one module, each as one
    cycle through it (``a -> b -> a``), found with Tarjan's algorithm (iteratively: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return [_one_cycle(graph, component) for component in sorted(components)]


def _one_cycle(graph: Mapping[str, set[str]], component: list[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return component  # unreachable for a strongly connected component


def module_lines(found: Mapping[str, Module]) -> dict[str, int]:
    """Each module's length in lines."""
    return {name: len(m.path.read_text(encoding="utf-8").splitlines()) for name, m in found.items()}


def function_lines(found: Mapping[str, Module]) -> dict[str, int]:
    """Each function's length in lines (decorators included), by ``module:qualified.name``."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, module: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualified = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    lengths[f"{module}:{qualified}"] = (child.end_lineno or child.lineno) - first + 1
                visit(child, module, qualified + ".")

    for name, module in found.items():
        visit(module.tree, name, "")
    return lengths


def core_platform_imports(found: Mapping[str, Module]) -> list[str]:
    """``module -> name`` for every import of a platform library (or of ``bot``) in ``governance``."""
    bad = []
    for name, module in found.items():
        if name.split(".")[0] != "governance":
            continue
        for imported in sorted(set(imported_names(module))):
            if imported.split(".")[0] in PLATFORM_IMPORTS:
                bad.append(f"{name} -> {imported}")
    return bad


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _test_module_of(imported: str, found: Mapping[str, Module]) -> str | None:
    """The module under tests/ that ``imported`` names (``tests.x.y.func`` -> ``tests.x.y``), or None.

    A bare name that is a module under tests/ counts too: ``from droop_reports import ...`` works only
    because pytest put that folder on ``sys.path``.
    """
    first = imported.split(".")[0]
    if first != TESTS:
        bare = [n for n, m in found.items() if not m.is_package and n.rsplit(".", 1)[-1] == first]
        return bare[0] if bare else None
    while imported and imported not in found:
        imported = imported.rpartition(".")[0]
    return imported or None


def borrowed_imports(found: Mapping[str, Module]) -> list[str]:
    """``module -> name`` for every import, under tests/, of a test module, a conftest or any other module
    of tests/ that is neither shared (``TEST_SHARED``) nor a named helper (``TEST_HELPERS``)."""
    bad = []
    for name, module in found.items():
        for imported in sorted(set(imported_names(module))):
            target = _test_module_of(imported, found)
            if target is None or target == name or _within(target, TEST_SHARED) or target in TEST_HELPERS:
                continue
            bad.append(f"{name} -> {imported}")
    return bad


def core_test_platform_imports(found: Mapping[str, Module]) -> list[str]:
    """``test module -> ... -> name`` for every ``bot`` or platform import that a core test
    (``tests/governance``) reaches, itself or through the modules of tests/ it imports."""
    bad = []
    for name in sorted(n for n in found if _within(n, [CORE_TESTS])):
        path = {name: [name]}
        todo = [name]
        while todo:
            current = todo.pop()
            for imported in sorted(set(imported_names(found[current]))):
                if imported.split(".")[0] in PLATFORM_IMPORTS:
                    bad.append(" -> ".join([*path[current], imported]))
                target = _test_module_of(imported, found)
                if target is not None and target not in path:
                    path[target] = [*path[current], target]
                    todo.append(target)
    return bad


def main() -> int:
    """Print the figures and their targets; 1 when a target is missed."""
    found = modules()
    graph = import_graph(found)
    circles = cycles(graph)
    lines = module_lines(found)
    longest = max(lines, key=lambda n: lines[n])
    over = sorted((n for n in lines if lines[n] > MAX_MODULE_LINES), key=lambda n: -lines[n])
    functions = function_lines(found)
    long_functions = sorted(
        (f for f in functions if functions[f] > MAX_FUNCTION_LINES), key=lambda f: -functions[f]
    )
    platform = core_platform_imports(found)
    tests = modules(ROOT, [TESTS])
    borrowed = borrowed_imports(tests)
    core_tests = core_test_platform_imports(tests)
    edges = sum(len(t) for t in graph.values())
    print(f"modules: {len(found)} in {', '.join(PACKAGES)}; import edges: {edges} (function-level included)")
    print(f"import circles: {len(circles)} (target 0)")
    for circle in circles:
        print("  " + " -> ".join(circle))
    print(f"longest module: {longest}, {lines[longest]} lines")
    print(f"modules over {MAX_MODULE_LINES} lines: {len(over)} (target 0)")
    for name in over:
        print(f"  {name}: {lines[name]}")
    print(f"functions over {MAX_FUNCTION_LINES} lines: {len(long_functions)} (target 0)")
    for name in long_functions:
        print(f"  {name}: {functions[name]}")
    print(f"platform imports in governance/: {len(platform)} (target 0)")
    for line in platform:
        print("  " + line)
    print(f"imports of other test modules or conftests under tests/: {len(borrowed)} (target 0)")
    for line in borrowed:
        print("  " + line)
    print(f"bot or platform imports reached by the core's tests: {len(core_tests)} (target 0)")
    for line in core_tests:
        print("  " + line)
    return 1 if circles or over or long_functions or platform or borrowed or core_tests else 0


if __name__ == "__main__":
    sys.exit(main())
