"""The demo's own actions are on the audit log, where BJA staff browse them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from wagtail.models import ModelLogEntry, PageLogEntry

pytestmark = pytest.mark.django_db

DEMO_ACTIONS = {
    "ips.upload.import": "Import outcome data",
    "ips.data.publish": "Publish outcome data",
    "ips.analysis.publish": "Publish analysis",
    "ips.rating.set": "Set evidence rating",
    "ips.membership.change": "Change site membership",
}


def _logged() -> list[str]:
    return [
        *ModelLogEntry.objects.values_list("action", flat=True),
        *PageLogEntry.objects.values_list("action", flat=True),
    ]


def test_the_demo_actions_are_on_the_audit_log_bja_staff_browse(client, bja_user):
    call_command("load_demo_data", verbosity=0)
    logged = _logged()
    assert set(DEMO_ACTIONS) <= set(logged)
    client.force_login(bja_user)
    report = client.get("/admin/reports/site-history/?action=ips.membership.change")
    assert report.status_code == 200
    assert DEMO_ACTIONS["ips.membership.change"] in report.content.decode()
    # Loading the demo again changes no membership, so it logs none.
    call_command("load_demo_data", verbosity=0)
    again = _logged()
    assert again.count("ips.membership.change") == logged.count("ips.membership.change")
