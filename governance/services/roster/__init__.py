"""The roster: member organisations, their people, chat identities, voting representatives, platform
roles and the CSV import, one module each; callers use the names re-exported here
(``from governance.services import roster; roster.add_person(...)``)."""

from __future__ import annotations

from governance.services.roster.csv_import import CSV_COLUMNS, ImportReport, import_roster_csv
from governance.services.roster.identities import link_identity, resolve_identity, unlink_identity
from governance.services.roster.organisations import (
    OrganisationRow,
    add_organisation,
    list_organisations,
    set_voting_rep,
    update_organisation,
)
from governance.services.roster.people import (
    actor_for_handle,
    add_person,
    get_person,
    list_people,
    update_person,
)
from governance.services.roster.platform_roles import (
    RoleMapping,
    map_platform_role,
    platform_role_map,
    platform_roles,
)
from governance.services.roster.rules import (
    GOVBOT_ROLES,
    PERSON_STATES,
    PLATFORMS,
    ROLE_PLATFORMS,
    TIERS,
    check_admin,
)

__all__ = [
    "CSV_COLUMNS",
    "GOVBOT_ROLES",
    "PERSON_STATES",
    "PLATFORMS",
    "ROLE_PLATFORMS",
    "TIERS",
    "ImportReport",
    "OrganisationRow",
    "RoleMapping",
    "actor_for_handle",
    "add_organisation",
    "add_person",
    "check_admin",
    "get_person",
    "import_roster_csv",
    "link_identity",
    "list_organisations",
    "list_people",
    "map_platform_role",
    "platform_role_map",
    "platform_roles",
    "resolve_identity",
    "set_voting_rep",
    "unlink_identity",
    "update_organisation",
    "update_person",
]
