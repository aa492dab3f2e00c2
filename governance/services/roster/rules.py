"""The roster's shared rules: its vocabularies and limits, the admin check, and the checks of a name,
an e-mail address and a tier that every roster use case applies."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from governance.errors import InvalidInput
from governance.i18n import N_, _
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    check_text,
    enforce,
)

PERSON_STATES = ("active", "emeritus", "withdrawn", "suspended")
TIERS = ("premier", "general", "associate", "academic", "nonprofit")
PLATFORMS = ("slack", "discord", "console")
NAME_MAX = 200
EMAIL_MAX = 254
CHAT_ID_MAX = 64
ROLE_PLATFORMS = ("discord",)  # platforms whose adapter reads a member's roles and enforces the mapping
GOVBOT_ROLES = ("admin", "chair", "member")
ROLE_NAME_MAX = 100


# Why someone cannot be a voting representative, one whole sentence per roster state.
NOT_ACTIVE_REP = {
    "emeritus": N_("{person_name} is emeritus; a voting representative must be active."),
    "withdrawn": N_("{person_name} is withdrawn; a voting representative must be active."),
    "suspended": N_("{person_name} is suspended; a voting representative must be active."),
    "": N_("{person_name} is not active; a voting representative must be active."),
}


async def require_admin(session: AsyncSession, ctx: Context, actor: Actor, action: str) -> None:
    """Refuse, inside the caller's transaction, an actor the default policy does not let administer."""
    policy = ctx.policy_for_default()
    enforce(policy.may_administer(await actor_facts(session, actor), action), policy)


async def check_admin(ctx: Context, actor: Actor, action: str) -> None:
    """Refuse a non-admin before an adapter does anything on their behalf (e.g. reads a file)."""
    async with ctx.db.reading() as session:
        await require_admin(session, ctx, actor, action)


def check_tier(tier: str) -> str:
    """An organisation tier as stored (lower case); refuses one the roster does not know."""
    tier = tier.strip().lower()
    if tier not in TIERS:
        raise InvalidInput(
            _("Unknown tier {tier!r}.", tier=tier), _("Tiers: {join_tiers}.", join_tiers=", ".join(TIERS))
        )
    return tier


def check_name(name: str | None, what: str) -> str:
    """A required name (a person's, an organisation's) checked as everything a person types is."""
    checked = check_text(name, what, NAME_MAX)
    assert checked is not None
    return checked


def check_email(email: str | None) -> str | None:
    """An optional e-mail address, refused when it cannot be one (no single @, spaces)."""
    value = check_text(email, _("the e-mail address"), EMAIL_MAX, required=False)
    if value is not None and (
        value.count("@") != 1 or any(ch.isspace() for ch in value) or value[0] == "@" or value[-1] == "@"
    ):
        raise InvalidInput(
            _("{value!r} is not an e-mail address.", value=value), _("Give it as name@example.org.")
        )
    return value
