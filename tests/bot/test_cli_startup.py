"""`govbot` loads only what a command needs: help, counting a ballot file and verifying a bundle start
without a chat library, Alembic, matplotlib or the scheduler (what made every command take over a second).

Each case runs the real entry point in a fresh interpreter and reads back the modules it imported, so the
check holds whatever the test process itself has imported. Start-up times are measured in the note, never
asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.present.replies import Reply
from governance import export
from governance.services import roster
from governance.services.common import Context

TIMEOUT = 120
HEAVY = ("slack_bolt", "slack_sdk", "discord", "alembic", "matplotlib", "apscheduler")
DATABASE = ("sqlalchemy", "sqlmodel", "pydantic_settings", "asyncpg", "aiosqlite")
DB_MODULES = (
    "governance.models",
    "governance.services",
    "governance.audit",
    "governance.export",
    "governance.reconcile",
    "governance.db",
)
BLT = '3 1\n1 2 3 0\n2 1 3 0\n1 3 0\n0\n"Ann"\n"Bob"\n"Cy"\n"Three ballots"\n'

PROBE = """
import contextlib, io, json, sys
from bot import cli
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    try:
        code = cli.main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "output": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def govbot_imports(*args: str, cwd: Path) -> tuple[int, str, set[str]]:
    """Run ``govbot ARGS`` in a new interpreter: its exit status, its output and every module it
    imported (full dotted names)."""
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout.splitlines()[-1])
    return found["code"], found["output"], set(found["modules"])


def govbot_modules(*args: str, cwd: Path) -> tuple[int, str, set[str]]:
    """Run ``govbot ARGS`` in a new interpreter: its exit status, its output and the top-level packages
    it imported."""
    code, output, modules = govbot_imports(*args, cwd=cwd)
    return code, output, {name.split(".")[0] for name in modules}


def database_code(modules: set[str]) -> list[str]:
    """The modules among ``modules`` that belong to the database side: a driver or ORM package, or a
    govbot module that imports one (the models, the services, the stored audit chain, exports)."""
    return sorted(
        name
        for name in modules
        if name.split(".")[0] in DATABASE or name in DB_MODULES or name.startswith("governance.services.")
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], "usage: govbot"),
        (["audit", "--help"], "verify"),
        (["audit", "verify", "--help"], "--checkpoint"),
        (["tally", "--help"], "usage: govbot tally"),
    ],
)
def test_help_loads_neither_platforms_nor_the_database(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    code, output, packages = govbot_modules(*args, cwd=tmp_path)
    assert code == 0
    assert expected in output
    assert packages.isdisjoint(HEAVY + DATABASE), sorted(packages.intersection(HEAVY + DATABASE))


def test_counting_a_ballot_file_loads_no_platform(tmp_path: Path) -> None:
    (tmp_path / "three.blt").write_text(BLT, encoding="utf-8")
    code, output, packages = govbot_modules("tally", "three.blt", "--method", "irv", cwd=tmp_path)
    assert code == 0, output
    assert "Ann" in output
    assert packages.isdisjoint(HEAVY + DATABASE), sorted(packages.intersection(HEAVY + DATABASE))


def test_a_bad_ballot_file_is_refused_without_loading_a_platform(tmp_path: Path) -> None:
    (tmp_path / "bad.blt").write_text("3 1\n1 9 0\n0\n", encoding="utf-8")
    code, output, packages = govbot_modules("tally", "bad.blt", "--method", "irv", cwd=tmp_path)
    assert code == 2
    assert "bad.blt" in output
    assert packages.isdisjoint(HEAVY), sorted(packages.intersection(HEAVY))


async def test_verifying_a_real_bundle_loads_neither_platform_nor_database(
    seeded: Context, say: Callable[..., Awaitable[Reply]], tmp_path: Path
) -> None:
    for handle, line in (
        ("sec", "election open-voting board-2027 --close +7d"),
        ("alice", "vote board-2027 chen arjun dana"),
        ("bea", "vote board-2027 farid emma"),
        ("sec", "election close board-2027"),
    ):
        reply = await say(handle, line)
        assert reply.ok, reply.to_text()
    sec = await roster.actor_for_handle(seeded, "sec")
    files = await export.export_bundle(seeded, sec, export.parse_subject("board-2027"))
    bundle = export.write_bundle(files, tmp_path / "bundle.zip")
    code, output, modules = govbot_imports("audit", "verify", str(bundle), cwd=tmp_path)
    assert code == 0, output
    assert output.startswith("OK: ")
    assert "2 ballots re-counted" in output
    packages = {name.split(".")[0] for name in modules}
    assert packages.isdisjoint(HEAVY), sorted(packages.intersection(HEAVY))
    # Verifying needs no database: neither the ORM nor the models are loaded (issue 14).
    assert {"sqlalchemy", "sqlmodel"}.isdisjoint(packages)
    assert "governance.models" not in modules
    assert database_code(modules) == []


def test_a_missing_bundle_is_refused_without_loading_a_platform_or_the_database(tmp_path: Path) -> None:
    code, output, modules = govbot_imports("audit", "verify", "nowhere.zip", cwd=tmp_path)
    assert code == 1
    assert "nowhere.zip does not exist" in output
    assert {name.split(".")[0] for name in modules}.isdisjoint(HEAVY)
    assert database_code(modules) == []
