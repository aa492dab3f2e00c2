"""Who may run which command from Discord.

Two sources of authority are meant to agree: govbot's roster (a person's admin flag, their chair role
in a body; the services enforce these through the policy) and, per guild, a mapping from Discord roles
to govbot roles (e.g. the "Secretariat" role means admin).

Today only the roster is consulted. Keeping the role mapping needs a table that belongs to the core
(``governance/models.py`` and a migration), proposed in docs/discord.md::

    discord_role_map(guild_id varchar(32), role_id varchar(32),
                     govbot_role varchar(16),  -- 'admin' | 'chair' | 'member'
                     created_at, created_by_id, primary key (guild_id, role_id))

with audit events ``discord.role_mapped``/``discord.role_unmapped`` on the ``roster`` stream. Until it
lands, :func:`check` is called with ``mapping=None`` and admin-only commands require the roster's admin
flag alone; when a mapping is given, an admin-only command also needs one of the member's Discord roles
to map to ``admin`` (both sources, as the issue asks). Chair-only commands are decided by the services
(the roster's chair role), so a Discord role can never grant more than the roster does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.commands import REGISTRY, Spec
from governance.services.common import Actor

GOVBOT_ROLES = ("admin", "chair", "member")
DEFAULT_ADMIN_ROLE_NAME = "Secretariat"


def admin_only(spec: Spec) -> bool:
    """Whether the grammar marks the command for admins (its summary says "(admins)")."""
    return "(admins)" in spec.summary


def chair_only(spec: Spec) -> bool:
    """Whether the grammar marks the command for chairs (its summary says "(chairs)")."""
    return "(chairs)" in spec.summary


ADMIN_COMMANDS = frozenset(" ".join(s.path) for s in REGISTRY if admin_only(s))
CHAIR_COMMANDS = frozenset(" ".join(s.path) for s in REGISTRY if chair_only(s))


@dataclass(frozen=True)
class Denied:
    """Why a command is refused before it reaches the services, and what to do about it."""

    message: str
    hint: str


def roles_granted(member_role_ids: Iterable[int | str], mapping: Mapping[str, str]) -> set[str]:
    """The govbot roles a member's Discord roles map to (``mapping``: Discord role id -> govbot role)."""
    return {mapping[str(r)] for r in member_role_ids if str(r) in mapping}


def check(
    spec: Spec,
    actor: Actor,
    member_role_ids: Iterable[int | str] = (),
    mapping: Mapping[str, str] | None = None,
) -> Denied | None:
    """Refuse an admin-only command early, with a clear message; None lets it through to the services.

    ``mapping`` is the guild's Discord-role mapping, or None while it has no table (roster only).
    """
    path = " ".join(spec.path)
    if path not in ADMIN_COMMANDS:
        return None
    if not actor.is_admin:
        return Denied(
            f"`{path}` is for the secretariat, and you are not a govbot admin.",
            "Ask the secretariat to run it, or to make you an admin on the roster.",
        )
    if mapping is not None and "admin" not in roles_granted(member_role_ids, mapping):
        return Denied(
            f"`{path}` needs a Discord role mapped to govbot admin (e.g. "
            f"{DEFAULT_ADMIN_ROLE_NAME}), and you have none.",
            "Ask a server admin to give you that role.",
        )
    return None
