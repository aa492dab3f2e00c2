"""Who may run which command from Discord.

Two sources of authority must agree: govbot's roster (a person's admin flag, their chair role in a
body; the services enforce these through the policy) and, per guild, a mapping from Discord roles to
govbot roles (e.g. the "Secretariat" role means admin), kept in the core's ``platform_role_maps`` table
and set by admins with ``/roster role`` (the grammar's ``roster role discord <guild> <role-id> <role>``).

A guild without any mapping is governed by the roster alone. Once it has one:

- an admin-only command needs the roster's admin flag AND one of the member's Discord roles mapped to
  ``admin``;
- a chair-only command needs the roster's chair role (the services check it) AND, when the guild maps
  any role to ``chair``, one of the member's roles mapped to ``chair``.

So a Discord role can only narrow what the roster grants, never widen it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.commands import Spec
from governance.services.common import Actor

GOVBOT_ROLES = ("admin", "chair", "member")
DEFAULT_ADMIN_ROLE_NAME = "Secretariat"


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
    """Refuse an admin-only or chair-only command early, with a clear message; None lets it through.

    Which commands are admin-only or chair-only is declared with each command (``Spec.admin_only``,
    ``Spec.chair_only``). ``mapping`` is the guild's Discord-role mapping (role id -> govbot role); None
    or empty means the guild maps no role, and the roster alone decides.
    """
    path = " ".join(spec.path)
    mapping = mapping or {}
    granted = roles_granted(member_role_ids, mapping)
    if spec.admin_only:
        if not actor.is_admin:
            return Denied(
                f"`{path}` is for the secretariat, and you are not a govbot admin; nothing was changed.",
                "Ask the secretariat to run it, or to make you an admin on the roster.",
            )
        if mapping and "admin" not in granted:
            return Denied(
                f"`{path}` needs a Discord role mapped to govbot admin in this server (e.g. "
                f"{DEFAULT_ADMIN_ROLE_NAME}), and you have none; nothing was changed.",
                "Ask a server admin to give you that role; `/roster roles` lists the mapped roles.",
            )
    if spec.chair_only and "chair" in mapping.values() and "chair" not in granted:
        return Denied(
            f"`{path}` needs a Discord role mapped to govbot chair in this server, and you have none; "
            "nothing was changed.",
            "Ask a server admin to give you the chairs' role; `/roster roles` lists the mapped roles.",
        )
    return None
