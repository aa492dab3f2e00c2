"""The composition root: the one place that turns a deployment's settings into a ``Context``.

Every entry point that needs the database — ``govbot run`` (the console, Slack and Discord all receive
the ``Context`` built here), ``govbot console``, ``seed``, ``publish``, ``audit export``, ``audit pubkey``
and ``python -m bot.scheduler`` — reads its settings with :func:`load_settings` and builds its services'
``Context`` with :func:`build_context`, so the database, the clock, the default policy, the ballot
secret and the checkpoint key are chosen once, the same way everywhere.

A bad setting or policy stops the process with one line naming it (``SystemExit``), never a traceback:
these functions run before anything else, from a command line.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from bot.config import Settings
from governance import signing
from governance.clock import Clock, SystemClock
from governance.db import Database
from governance.errors import GovError
from governance.i18n import _
from governance.policies import load_policy
from governance.services.common import Context


def load_settings() -> Settings:
    """The deployment's settings from the environment and ``.env``; stops with one line naming every bad
    setting (so an operator fixes them all at once, and sees no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(_("govbot: bad setting: {problems} (see .env.example)", problems=problems)) from None


def build_context(settings: Settings, *, clock: Clock | None = None) -> Context:
    """The services' ``Context`` for ``settings``: its database, the ballot secret, the default policy
    and the checkpoint key, with the system clock unless ``clock`` is given.

    The default policy is loaded first: a deployment whose policy is invalid refuses to start, naming the
    problem, rather than failing at its first election.
    """
    try:
        load_policy(settings.policy_spec)
    except GovError as exc:
        raise SystemExit(_("govbot: refusing to start: {error}", error=exc)) from None
    return Context(
        db=Database(settings.database_url),
        secret=settings.server_secret(),
        clock=clock or SystemClock(),
        default_policy=settings.policy_spec,
        signing_key=settings.signing_key(),
    )


def deployment_key(settings: Settings) -> Ed25519PrivateKey:
    """The key that signs the deployment's checkpoints, as ``Context.deployment_key`` chooses it, without
    opening the database (``govbot audit pubkey`` only prints its public half)."""
    return settings.signing_key() or signing.derived_key(settings.server_secret())
