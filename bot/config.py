"""Settings from the environment or a ``.env`` file (every one is documented in ``.env.example``)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from governance import signing
from governance.db import normalise_url

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Every knob of a govbot deployment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite+aiosqlite:///govbot.db", alias="DATABASE_URL")
    secret: str | None = Field(default=None, alias="GOVBOT_SECRET")
    secret_file: Path = Field(default=Path("govbot.secret"), alias="GOVBOT_SECRET_FILE")
    signing_key_file: Path | None = Field(default=None, alias="GOVBOT_SIGNING_KEY_FILE")
    policy: str = Field(default="alliance", alias="GOVBOT_POLICY")
    policy_path: str | None = Field(default=None, alias="GOVBOT_POLICY_PATH")
    timezone: str = Field(default="UTC", alias="GOVBOT_TIMEZONE")
    locale: str = Field(default="en", alias="GOVBOT_LOCALE")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str | None = Field(default=None, alias="SLACK_API_BASE_URL")
    discord_token: str | None = Field(default=None, alias="DISCORD_TOKEN")
    discord_guild_id: str | None = Field(default=None, alias="DISCORD_GUILD_ID")
    discord_api_base_url: str | None = Field(default=None, alias="DISCORD_API_BASE_URL")
    scheduler: bool = Field(default=True, alias="GOVBOT_SCHEDULER")
    scheduler_sweep_seconds: float = Field(
        default=10.0, gt=0, le=3600, alias="GOVBOT_SCHEDULER_SWEEP_SECONDS"
    )
    leader_poll_seconds: float = Field(default=5.0, gt=0, le=25, alias="GOVBOT_LEADER_POLL_SECONDS")
    audit_seal_seconds: float = Field(default=300.0, gt=0, le=86400, alias="GOVBOT_AUDIT_SEAL_SECONDS")

    @field_validator("signing_key_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"GOVBOT_TIMEZONE={value!r} is not an IANA time zone such as Europe/Paris"
            ) from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(normalise_url(value.strip()))
        except (ArgumentError, ValueError) as exc:
            raise ValueError(
                f"DATABASE_URL={value!r} is not a database URL such as sqlite+aiosqlite:///govbot.db "
                "or postgresql+asyncpg://user@host/db"
            ) from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"DATABASE_URL names {url.get_backend_name()!r}; govbot runs on SQLite or PostgreSQL"
            )
        return url.render_as_string(hide_password=False)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LOG_LEVEL={value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @property
    def policy_spec(self) -> str:
        """The default policy: an operator's module path when given, else a built-in name."""
        return self.policy_path or self.policy

    @property
    def platform(self) -> str:
        """Which platform the tokens configure: slack, discord, or console when neither."""
        if self.slack_bot_token:
            return "slack"
        if self.discord_token:
            return "discord"
        return "console"

    def server_secret(self) -> bytes:
        """The key for ballot tags; generated once into ``GOVBOT_SECRET_FILE`` when not set, then kept."""
        if self.secret:
            return self.secret.encode()
        path = self.secret_file
        if path.exists():
            return path.read_text().strip().encode()
        value = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        log.warning("GOVBOT_SECRET is not set: generated one in %s (keep it; ballots depend on it).", path)
        return value.encode()

    def signing_key(self) -> Ed25519PrivateKey | None:
        """The deployment's checkpoint key (Ed25519), kept like the ballot secret and never exported.

        ``GOVBOT_SIGNING_KEY_FILE`` when set (generated there on first use); else, when ``GOVBOT_SECRET``
        is given in the environment, None: the key is derived from that secret; else ``govbot.signing.key``
        beside the secret file, generated once (readable by its owner only) and then kept.
        """
        path = self.signing_key_file
        if path is None:
            if self.secret:
                return None
            path = self.secret_file.parent / "govbot.signing.key"
        key, created = signing.load_or_create(path)
        if created:
            log.warning(
                "Generated the deployment's checkpoint signing key in %s (key id %s); keep it private.",
                path,
                signing.key_id(signing.public_hex(key)),
            )
        return key
