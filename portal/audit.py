"""The portal's audit log: Wagtail's own log (site history), with the portal's actions.

Every governance action is written with ``wagtail.log_actions.log`` under one of the names in
``IPS_LOG_ACTIONS`` (registered with the ``register_log_actions`` hook in
``portal.wagtail_hooks``), so it shows in the admin's site history report, can be filtered by
action and exported there, and in the object's own history. Each entry carries the user, the
time, the object and a short JSON of what changed.

Entries are append-only. On PostgreSQL, row triggers (migration
``0003_audit_log_append_only``) refuse UPDATE and DELETE on both of Wagtail's log tables,
whoever asks, and statement triggers (``0005_audit_log_refuse_truncate``) refuse TRUNCATE
unless a superuser session opted in with ``AUDIT_LOG_TRUNCATE_SETTING`` (the test suite's
flush does). The application connects as a role without UPDATE, DELETE or TRUNCATE on these
tables (``portal.database_roles``). SQLite has no such guard at the database level: there
the admin (no edit or delete views for entries) and the portal's code, which only appends,
are what protect the log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from wagtail.log_actions import log

# name → (label in the report's filter, message in the history listing)
IPS_LOG_ACTIONS: dict[str, tuple[str, str]] = {
    "ips.upload.status": ("Outcome upload status", "An outcome data upload changed status"),
    "ips.upload.validate": ("Check outcome upload", "Checked an outcome data upload"),
    "ips.upload.import": ("Import outcome data", "Imported outcome data"),
    "ips.upload.fail": ("Outcome upload failed", "An outcome data upload failed"),
    "ips.upload.rollback": ("Roll back outcome data", "Rolled back an outcome data import"),
    "ips.data.publish": ("Publish outcome data", "Published outcome data"),
    "ips.data.withdraw": ("Withdraw outcome data", "Withdrew outcome data from public view"),
    "ips.analysis.publish": ("Publish analysis", "Published an analysis"),
    "ips.analysis.unpublish": ("Withdraw analysis", "Withdrew an analysis from public view"),
    "ips.analysis.version_approve": (
        "Approve analysis version",
        "Approved a new version of an analysis's findings",
    ),
    "ips.analysis.version_reject": (
        "Reject analysis version",
        "Rejected a new version of an analysis's findings",
    ),
    "ips.analysis.version_restore": (
        "Restore approved analysis version",
        "Data back to an analysis's approved inputs: its approved version is current again",
    ),
    "ips.rating.set": ("Set evidence rating", "Set an evidence rating"),
    "ips.token.create": ("Create API token", "Created an API token"),
    "ips.token.revoke": ("Revoke API token", "Revoked an API token"),
    "ips.membership.change": ("Change site membership", "Changed a site's members"),
}

PROTECTED_LOG_TABLES = ("wagtailcore_modellogentry", "wagtailcore_pagelogentry")
# A superuser session that sets this to 'allow' may TRUNCATE the log tables (maintenance and
# the test suite's flush); nobody else may, whatever they set.
AUDIT_LOG_TRUNCATE_SETTING = "portal.audit_log_truncate"


class UnknownAuditAction(ValueError):
    """An audit entry was asked for under a name the portal has not registered."""


def _json_safe(changes: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(changes, cls=DjangoJSONEncoder, default=str))


def audit_record(
    *,
    instance: models.Model,
    action: str,
    user: AbstractBaseUser | AnonymousUser | None,
    changes: dict[str, Any] | None = None,
):
    """Append one entry to the audit log and return it.

    ``changes`` is a short JSON-able dict of what changed (``{"status": ["validated",
    "imported"]}``, counts, the reason given). An anonymous or missing user (the command line,
    the worker) is recorded as the system.
    """
    if action not in IPS_LOG_ACTIONS:
        raise UnknownAuditAction(f"{action!r} is not a registered portal log action.")
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    return log(instance, action, user=actor, data=_json_safe(changes or {}))
