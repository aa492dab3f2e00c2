"""The composition root: settings from the environment become the services' ``Context``, or the process
stops with one line naming what is wrong, having built nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import wiring
from governance import signing
from governance.clock import ManualClock


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment's environment in ``tmp_path`` (no .env, no token); the database file it names."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("GOVBOT_", "SLACK_", "DISCORD_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    database = tmp_path / "wired.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("GOVBOT_SECRET", "s" * 64)
    return database


async def test_the_context_holds_what_the_settings_name(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVBOT_POLICY", "kubernetes")
    clock = ManualClock()
    settings = wiring.load_settings()
    ctx = wiring.build_context(settings, clock=clock)
    try:
        assert ctx.default_policy == "kubernetes"
        assert ctx.policy_for_default().name == "kubernetes"
        assert ctx.secret == b"s" * 64
        assert ctx.now() == clock.now()
        assert ctx.db.is_sqlite and ctx.db.url.endswith(str(environment))
        # The key `audit pubkey` prints is the one the deployment signs checkpoints with.
        assert signing.public_hex(wiring.deployment_key(settings)) == signing.public_hex(ctx.deployment_key())
    finally:
        await ctx.db.dispose()


async def test_a_signing_key_file_is_the_deployment_key(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVBOT_SIGNING_KEY_FILE", str(environment.parent / "deploy.key"))
    settings = wiring.load_settings()
    ctx = wiring.build_context(settings)
    try:
        assert ctx.signing_key is not None
        assert signing.public_hex(wiring.deployment_key(settings)) == signing.public_hex(ctx.signing_key)
        assert signing.public_hex(ctx.signing_key) != signing.public_hex(signing.derived_key(ctx.secret))
    finally:
        await ctx.db.dispose()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GOVBOT_TIMEZONE", "Mars/Olympus", "govbot: bad setting: "),
        ("GOVBOT_SCHEDULER_SWEEP_SECONDS", "0", "govbot: bad setting: "),
        ("GOVBOT_POLICY", "no-such-policy", "govbot: refusing to start: "),
    ],
)
def test_a_bad_setting_stops_with_one_line_and_builds_nothing(
    environment: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        wiring.build_context(wiring.load_settings())
    message = str(stopped.value.code)
    assert message.startswith(expected) and "\n" not in message
    assert value in message or name == "GOVBOT_SCHEDULER_SWEEP_SECONDS"
    assert not environment.exists()
