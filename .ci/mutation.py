"""Mutation testing of what users must trust: ``make mutation [MODULE=path] [SAMPLE=n] [SEED=s]``.

Runs mutmut 3 (the dev extra) over the counting engine, the audit log, its verifier, ballot secrecy
and the policies, one *target* at a time. Each target has its own scratch directory under
``.mutation/`` holding a ``pyproject.toml`` that narrows ``[tool.mutmut]`` to the target's files
(``only_mutate``) and to the tests that can reach them (``pytest_add_cli_args_test_selection``); mutmut
then records which of those tests call each mutated function and runs only those for each mutant.

``MODULE`` picks one target by name (``verify``) or one file or folder inside one
(``governance/verify.py``, ``governance/tally/irv.py``, ``governance/policies``); ``SAMPLE=n`` tests a
reproducible random sample of n mutants per file (seeded by ``SEED``, default 19) instead of every one,
for a quick reading on a busy machine. The summary prints killed, survived, timeout, no-tests and the
score per file.
Surviving mutants are listed with ``mutmut show NAME`` run from the target's scratch directory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"

# Everything a test may import or read, linked into each scratch directory (mutmut copies from there).
LINKED = ("governance", "bot", "migrations", "tests", "docs", "README.md", "alembic.ini", "babel.cfg")


@dataclass(frozen=True)
class Target:
    """One mutmut run: the files it mutates and the tests that may cover them."""

    name: str
    paths: tuple[str, ...]
    tests: tuple[str, ...]


TARGETS = (
    Target(
        "tally",
        ("governance/tally",),
        (
            "tests/governance/tally",
            "tests/security/test_recount.py",
            "tests/governance/audit/test_quorum_base.py",
        ),
    ),
    Target(
        "audit",
        ("governance/audit.py", "governance/chain.py"),
        (
            "tests/governance/audit",
            "tests/bot/cli/test_bundles.py",
            "tests/bot/cli/test_verify_branches.py",
            "tests/bot/commands/test_electorate_bundle.py",
            "tests/bot/scheduler/test_sealer.py",
            "tests/security/test_checkpoints.py",
        ),
    ),
    Target(
        "verify",
        (
            "governance/verify.py",
            "governance/checkpoint_verify.py",
            "governance/ledger_rules.py",
            "governance/bundle.py",
        ),
        (
            "tests/governance/audit",
            "tests/bot/cli/test_bundles.py",
            "tests/bot/cli/test_verify_branches.py",
            "tests/bot/commands/test_electorate_bundle.py",
            "tests/bot/scheduler/test_sealer.py",
            "tests/security/test_checkpoints.py",
            "tests/security/test_ballot_ledger.py",
            "tests/security/test_secret_until_close.py",
            "tests/governance/test_ledger_rules.py",
        ),
    ),
    Target(
        "secrecy",
        ("governance/secrecy.py",),
        (
            "tests/governance/services/test_secrecy.py",
            "tests/security/test_secret_until_close.py",
            "tests/security/test_shuffle.py",
        ),
    ),
    Target(
        "policies",
        ("governance/policies",),
        (
            "tests/governance/policies",
            "tests/bot/commands/test_policies_debian.py",
            "tests/bot/commands/test_policies_emeritus.py",
            "tests/bot/commands/test_policies_terms.py",
            "tests/bot/commands/test_bounds.py",
            "tests/bot/cli/test_policies_rules.py",
            "tests/bot/cli/test_policy_check_claims.py",
        ),
    ),
)

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped"}
STATUS.update({36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout"})
STATUS[37] = "type check"


def _files(target: Target, only: str | None) -> list[str]:
    """The .py files of ``target`` to mutate, narrowed to ``only`` (a file or a folder) when given."""
    found: list[str] = []
    for path in target.paths:
        base = ROOT / path
        candidates = sorted(base.rglob("*.py")) if base.is_dir() else [base]
        found += [str(p.relative_to(ROOT)) for p in candidates]
    if only:
        prefix = only.rstrip("/")
        found = [f for f in found if f == prefix or f.startswith(prefix + "/")]
    return found


def _prepare(target: Target, files: list[str]) -> Path:
    """A fresh scratch directory for ``target``: links to the sources and a narrowed mutmut config."""
    work = WORK / target.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    shared = ROOT.parent / "shared"
    if shared.exists():  # the election data the real-data tests read from ``../shared`` of the checkout
        (work / "shared").symlink_to(shared)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    config = dict(project["tool"]["mutmut"])
    config["only_mutate"] = files
    config["pytest_add_cli_args_test_selection"] = [t for t in target.tests if (ROOT / t).exists()]
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    lines += ["", "[tool.pytest.ini_options]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in project["tool"]["pytest"]["ini_options"].items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return work


def _sample(files: list[str], size: int, seed: int) -> list[str]:
    """A reproducible sample of ``size`` mutant names per file (mutmut's own naming)."""
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    chosen: list[str] = []
    for f in files:
        names = mutate_file_contents(f, (ROOT / f).read_text("utf-8")).mutant_names
        keys = sorted(get_mutant_name(Path(f), n) for n in names)
        chosen += random.Random(f"{seed}:{f}").sample(keys, min(size, len(keys)))
    return chosen


def _summary(work: Path, files: list[str]) -> list[tuple[str, dict[str, int]]]:
    """Counts of each outcome per mutated file, read from mutmut's ``.meta`` records."""
    rows: list[tuple[str, dict[str, int]]] = []
    for f in files:
        meta = work / "mutants" / (f + ".meta")
        if not meta.exists():
            continue
        counts: dict[str, int] = {}
        for code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].values():
            if code is None:
                continue
            status = STATUS.get(code, "suspicious")
            counts[status] = counts.get(status, 0) + 1
        if counts:
            rows.append((f, counts))
    return rows


def _print(rows: list[tuple[str, dict[str, int]]]) -> None:
    """Print one line per file: the counts and the share of tested mutants killed."""
    print(f"\n{'module':44} {'killed':>6} {'surv.':>6} {'t/out':>6} {'no-t':>6} {'score':>6}")
    for f, c in rows:
        killed, survived, timeout = c.get("killed", 0), c.get("survived", 0), c.get("timeout", 0)
        tested = killed + survived + timeout + c.get("suspicious", 0)
        score = f"{100 * (killed + timeout) / tested:5.1f}%" if tested else "   -"
        print(f"{f:44} {killed:6} {survived:6} {timeout:6} {c.get('no tests', 0):6} {score:>6}")


def main() -> int:
    """Run mutmut over each target (or the one holding ``MODULE``) and print the summary per file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", default="", help="a target's name, or a file or folder of one")
    parser.add_argument("--sample", type=int, default=0, help="mutants per file (0: all)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    module = args.module.strip().rstrip("/")
    chosen = [t for t in TARGETS if module in ("", t.name) or _files(t, module)]
    if not chosen:
        covered = ", ".join(p for t in TARGETS for p in t.paths)
        print(f"{module} is not covered by make mutation; choose one of: {covered}", file=sys.stderr)
        return 2
    mutmut = Path(sys.executable).with_name("mutmut")
    rows: list[tuple[str, dict[str, int]]] = []
    status = 0
    for target in chosen:
        files = _files(target, None if module in ("", target.name) else module)
        work = _prepare(target, files)
        names = _sample(files, args.sample, args.seed) if args.sample else []
        print(f"== {target.name}: {len(files)} file(s), tests: {' '.join(target.tests)}", flush=True)
        run = subprocess.run([str(mutmut), "run", "--max-children", str(args.jobs), *names], cwd=work)
        status = status or run.returncode
        rows += _summary(work, files)
    _print(rows)
    return status


if __name__ == "__main__":
    sys.exit(main())
