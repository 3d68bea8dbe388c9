"""The audit log: every governance action lands in Wagtail's log under its portal name, BJA
staff browse and export it, and on PostgreSQL nobody can change or delete an entry."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry, PageLogEntry

from evaluations.services import observations_publish, observations_unpublish, upload_batch_rollback
from portal.api_auth import api_token_create, api_token_revoke
from portal.audit import IPS_LOG_ACTIONS, UnknownAuditAction, audit_record
from portal.services import site_membership_changed
from tests.evaluations.helpers import csv_bytes, month_rows, upload
from tests.factories import UserFactory

REQUIRED_ACTIONS = {
    "ips.upload.import",
    "ips.upload.rollback",
    "ips.data.publish",
    "ips.data.withdraw",
    "ips.analysis.publish",
    "ips.analysis.version_approve",
    "ips.analysis.version_reject",
    "ips.rating.set",
    "ips.token.create",
    "ips.token.revoke",
    "ips.membership.change",
}


def _entries(instance, action: str):
    return log_registry.get_logs_for_instance(instance).filter(action=action)


def _import(site, user, values=(3, 4, 5)):
    rows = month_rows("nonfatal_shootings", "Zone 3", "treatment", list(values))
    return upload(site, csv_bytes(*rows), user=user).batch


def test_every_named_action_is_registered_with_wagtail(db):
    log_registry.scan_for_actions()
    registered = {name for name, _label in log_registry.get_choices()}
    assert REQUIRED_ACTIONS <= set(IPS_LOG_ACTIONS) <= registered


def test_an_unregistered_name_is_refused(site_a):
    with pytest.raises(UnknownAuditAction):
        audit_record(instance=site_a, action="ips.made.up", user=None)


def test_import_and_rollback_keep_every_status_change(site_a, contributor_a):
    batch = _import(site_a, contributor_a)
    (imported,) = _entries(batch, "ips.upload.import")
    assert imported.user_id == contributor_a.pk
    assert imported.data["status"][1] == "imported"
    assert imported.data["rows"]["new"] == 3
    # The counts are the file's, not the zeroes the batch was created with.
    assert imported.data["rows"]["total"] == 3
    upload_batch_rollback(batch=batch, user=contributor_a)
    (rolled_back,) = _entries(batch, "ips.upload.rollback")
    assert rolled_back.data["status"] == ["imported", "rolled_back"]
    assert (rolled_back.data["rows_deleted"], rolled_back.data["rows_restored"]) == (3, 0)
    assert rolled_back.timestamp >= imported.timestamp


def _statuses(batch) -> list[list]:
    entries = log_registry.get_logs_for_instance(batch).order_by("timestamp", "pk")
    return [entry.data["status"] for entry in entries]


def test_the_one_step_upload_logs_its_first_status(site_a, contributor_a):
    """The API and command path creates its batch already importing: that is logged too."""
    batch = _import(site_a, contributor_a)
    assert _statuses(batch) == [[None, "importing"], ["importing", "imported"]]
    first = _entries(batch, "ips.upload.status").get()
    assert first.user_id == contributor_a.pk and first.data["file_name"] == batch.file_name


def test_a_received_upload_logs_every_status_from_queued(site_a, contributor_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations.services import outcome_upload_receive, outcome_upload_validate

    data = csv_bytes(*month_rows("nonfatal_shootings", "Zone 3", "treatment", [3, 4]))
    batch = outcome_upload_receive(
        site=site_a,
        user=contributor_a,
        upload=SimpleUploadedFile("two.csv", data),
        file_name="two.csv",
    )
    outcome_upload_validate(batch=batch)
    assert _statuses(batch) == [
        [None, "queued"],
        ["queued", "validating"],
        ["validating", "validated"],
    ]


def test_publishing_and_withdrawing_data_are_logged(site_a, contributor_a):
    _import(site_a, contributor_a)
    observations_publish(site=site_a, user=contributor_a)
    observations_unpublish(site=site_a, user=contributor_a)
    (published,) = _entries(site_a, "ips.data.publish")
    (withdrawn,) = _entries(site_a, "ips.data.withdraw")
    assert published.data == {"metric": None, "observations": 3}
    assert withdrawn.data["observations"] == 3
    assert published.user_id == withdrawn.user_id == contributor_a.pk


def test_tokens_and_membership_are_logged(site_a, contributor_a, bja_user):
    token, _plaintext = api_token_create(user=contributor_a, name="nightly")
    api_token_revoke(token=token, by=bja_user)
    assert _entries(token, "ips.token.create").get().user_id == contributor_a.pk
    assert _entries(token, "ips.token.revoke").get().user_id == bja_user.pk
    newcomer = UserFactory(username="newcomer")
    site_membership_changed(
        site=site_a, user=bja_user, before={contributor_a.pk}, after={contributor_a.pk, newcomer.pk}
    )
    entry = _entries(site_a, "ips.membership.change").get()
    assert entry.data == {"added": ["newcomer"], "removed": []}


def test_membership_edit_in_the_admin_is_logged(client, site_a, contributor_a, bja_user):
    from django.urls import reverse

    client.force_login(bja_user)
    url = reverse("wagtailsnippets_portal_granteesite:edit", args=[site_a.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["jurisdiction"] = site_a.jurisdiction_id
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": site_a.memberships.get().pk,
            "memberships-0-user": contributor_a.pk,
            "memberships-0-DELETE": "1",
            "memberships-0-ORDER": "1",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    entry = _entries(site_a, "ips.membership.change").get()
    assert entry.data["removed"] == [contributor_a.username]
    assert entry.user_id == bja_user.pk


def test_bja_staff_browse_and_export_the_log_others_cannot(client, site_a, contributor_a, bja_user):
    batch = _import(site_a, contributor_a)
    client.force_login(bja_user)
    listing = client.get("/admin/reports/site-history/?action=ips.upload.import")
    assert listing.status_code == 200
    assert batch.file_name in listing.content.decode()
    export = client.get("/admin/reports/site-history/?export=csv&action=ips.upload.import")
    assert export.status_code == 200
    assert "Import outcome data" in b"".join(export.streaming_content).decode()
    client.force_login(contributor_a)
    assert client.get("/admin/reports/site-history/").status_code == 404
    assert client.get("/admin/reports/page-types-usage/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_edit_or_delete_entries(site_a, bja_user, home_page):
    entry = audit_record(instance=site_a, action="ips.data.publish", user=bja_user)
    page_entry = log(home_page, "wagtail.edit", user=bja_user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ModelLogEntry.objects.filter(pk=entry.pk).update(data={"observations": 0})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ModelLogEntry.objects.filter(pk=entry.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM wagtailcore_pagelogentry")
    assert ModelLogEntry.objects.filter(pk=entry.pk, data={}).exists()
    assert PageLogEntry.objects.filter(pk=page_entry.pk).exists()


def test_the_import_entry_counts_unchanged_and_total_rows(site_a, contributor_a):
    """A re-upload with one changed month: the entry says 3 rows, 1 updated, 2 unchanged."""
    _import(site_a, contributor_a, values=(3, 4, 5))
    batch = _import(site_a, contributor_a, values=(3, 4, 6))
    (imported,) = _entries(batch, "ips.upload.import")
    rows = imported.data["rows"]
    assert (rows["total"], rows["updated"], rows["unchanged"]) == (3, 1, 2)


def test_the_publish_entry_names_the_version_number_not_the_row_id(site_a, bja_user, monkeypatch):
    from evaluations.analyses import services as analysis_services
    from tests.evaluations.analysis_helpers import make_analysis

    make_analysis(site=site_a, published=False, title="first")
    analysis = make_analysis(site=site_a, published=False, title="second")
    result = analysis.current_result
    assert (result.version, result.pk != result.version) == (1, True)
    monkeypatch.setattr(analysis_services, "analysis_inputs_published", lambda *a: True)
    analysis_services.analysis_publish(user=bja_user, analysis=analysis)
    (entry,) = _entries(analysis, "ips.analysis.publish")
    assert entry.data["version"] == 1
    assert entry.data["result_id"] == result.pk
