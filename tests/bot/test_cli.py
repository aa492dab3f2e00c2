"""`govbot` as a newcomer runs it: a fresh directory, a SQLite file, settings from the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120


def _env(directory: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOVBOT_", "SLACK_", "DISCORD_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'govbot.db'}",
        GOVBOT_SECRET="test-secret",
        LOG_LEVEL="WARNING",
        COLUMNS="200",
    )
    return clean


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh deployment in ``tmp_path``: no tokens, a temp SQLite file, a secret."""
    return _env(tmp_path)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file `govbot migrate` made once for the module (each test gets a copy)."""
    directory = tmp_path_factory.mktemp("migrated")
    ran = govbot(directory, _env(directory), "migrate")
    assert ran.returncode == 0, ran.stderr
    return directory / "govbot.db"


@pytest.fixture
def migrated(migrated_template: Path, tmp_path: Path) -> Path:
    """This test's directory, holding a migrated, empty database."""
    shutil.copy(migrated_template, tmp_path / "govbot.db")
    return tmp_path


def govbot(
    tmp_path: Path, env: dict[str, str], *args: str, stdin: str = "", **overrides: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.cli`` in ``tmp_path`` with stdin from a string (never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env={**env, **overrides},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_migrate_seed_and_a_script(tmp_path: Path, env: dict[str, str]) -> None:
    migrated = govbot(tmp_path, env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Database is at revision" in migrated.stdout
    assert (tmp_path / "govbot.db").exists()

    seeded = govbot(tmp_path, env, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "5 organisations, 9 people" in seeded.stdout
    again = govbot(tmp_path, env, "seed")
    assert again.returncode == 1 and "not empty" in again.stdout

    script = tmp_path / "demo.gov"
    script.write_text(
        "# a whole election\n"
        "election open-voting board-2027 --close +7d\n"
        "\n"
        ":as alice\n"
        "vote board-2027 chen arjun dana\n"
        ":as bea\n"
        "vote board-2027 farid emma\n"
        ":as sec\n"
        "election close board-2027\n",
        encoding="utf-8",
    )
    ran = govbot(tmp_path, env, "console", "--as", "sec", "--script", str(script))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Voting in Board of Directors 2027 is open until" in ran.stdout
    assert "Ballot recorded in board-2027: chen > arjun > dana" in ran.stdout
    assert "Closed. Elected:" in ran.stdout
    assert "✉ #board: Result of Board of Directors 2027" in ran.stdout
    assert "alembic" not in ran.stderr  # no migration chatter on everyday commands


def test_console_exits_one_when_a_command_fails_and_reads_stdin(migrated: Path, env: dict[str, str]) -> None:
    assert govbot(migrated, env, "seed").returncode == 0
    ran = govbot(migrated, env, "console", "--as", "alice", stdin="whoami\nvote board-2027 chen\n")
    assert ran.returncode == 1
    assert "You are Alice Martin" in ran.stdout
    assert "not open for voting" in ran.stdout
    ok = govbot(migrated, env, "console", "--as", "alice", stdin="whoami\n# done\n")
    assert ok.returncode == 0, ok.stdout


def test_an_unmigrated_database_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    for args in (("console", "--as", "sec"), ("seed",), ("run",)):
        ran = govbot(tmp_path, env, *args, stdin="whoami\n")
        assert ran.returncode == 2, (args, ran.stdout, ran.stderr)
        assert "govbot migrate" in _one_line(ran.stderr)
        assert "never been migrated" in ran.stderr


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("GOVBOT_TIMEZONE", "Mars/Base", "GOVBOT_TIMEZONE='Mars/Base' is not an IANA time zone"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL='LOUD' is not one of"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL='nonsense' is not a database URL"),
        ("DATABASE_URL", "mysql://u@h/db", "govbot runs on SQLite or PostgreSQL"),
    ],
)
def test_bad_settings_give_one_line(
    tmp_path: Path, env: dict[str, str], setting: str, value: str, says: str
) -> None:
    ran = govbot(tmp_path, env, "migrate", **{setting: value})
    assert ran.returncode != 0
    line = _one_line(ran.stderr)
    assert says in line and line.startswith("govbot: bad setting")


def test_an_unreachable_database_gives_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    ran = govbot(tmp_path, env, "migrate", DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing")
    assert ran.returncode == 2
    assert "cannot use the database" in _one_line(ran.stderr)


@pytest.mark.parametrize(
    ("setting", "value"), [("GOVBOT_POLICY", "no-such-policy"), ("GOVBOT_POLICY_PATH", "/no.py")]
)
def test_an_invalid_policy_is_refused_at_start(
    migrated: Path, env: dict[str, str], setting: str, value: str
) -> None:
    ran = govbot(migrated, env, "run", stdin="whoami\n", **{setting: value})
    assert ran.returncode != 0
    assert "refusing to start" in _one_line(ran.stderr)
    assert "You are" not in ran.stdout


def test_run_seeds_an_empty_database_and_reads_commands_from_stdin(
    migrated: Path, env: dict[str, str]
) -> None:
    ran = govbot(migrated, env, "run", stdin="whoami\nelection show board-2027\n")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "First start: seeded a sample alliance" in ran.stdout
    assert "You are Sam Secretariat (@sec)" in ran.stdout  # the first admin by default
    assert "phase nominating" in ran.stdout
    second = govbot(migrated, env, "run", "--as", "alice", stdin="whoami\n")
    assert second.returncode == 0
    assert "First start" not in second.stdout and "You are Alice Martin" in second.stdout


def test_run_without_seed_on_an_empty_database(migrated: Path, env: dict[str, str]) -> None:
    ran = govbot(migrated, env, "run", "--no-seed", stdin="whoami\n")
    assert ran.returncode == 2
    assert "roster is empty" in ran.stdout


def test_run_console_on_an_empty_roster_without_seed_explains(migrated: Path, env: dict[str, str]) -> None:
    ran = govbot(migrated, env, "run", "--platform", "console", "--no-seed", stdin="")
    assert ran.returncode == 2  # nobody to run as on an empty roster
    assert "Traceback" not in ran.stderr


def test_a_slack_token_selects_slack_and_http_mode_needs_the_signing_secret(
    migrated: Path, env: dict[str, str]
) -> None:
    ran = govbot(migrated, env, "run", "--http", "--port", "0", SLACK_BOT_TOKEN="xoxb-test")
    assert ran.returncode == 2
    assert "SLACK_SIGNING_SECRET" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_discord_token_selects_discord_and_an_unreachable_api_is_one_line(
    migrated: Path, env: dict[str, str]
) -> None:
    ran = govbot(
        migrated, env, "run", DISCORD_TOKEN="test-token", DISCORD_API_BASE_URL="http://127.0.0.1:9/api/v10"
    )
    assert ran.returncode == 2
    assert "Cannot reach Discord at http://127.0.0.1:9/api/v10" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_help_and_the_installed_script(tmp_path: Path, env: dict[str, str]) -> None:
    ran = govbot(tmp_path, env, "--help")
    assert ran.returncode == 0
    for sub in ("run", "migrate", "seed", "console", "tally"):
        assert sub in ran.stdout
    script = Path(sys.executable).parent / "govbot"
    if script.exists():
        installed = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, timeout=TIMEOUT, env=env
        )
        assert installed.returncode == 0 and "migrate" in installed.stdout
