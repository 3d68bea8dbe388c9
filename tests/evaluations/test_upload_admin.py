"""The admin flow: upload → preview → confirm → batch page, permissions, progress, rollback,
templates, export and publishing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import OutcomeObservation, UploadBatch
from tests.evaluations.helpers import FIXTURES, csv_bytes, month_rows

pytestmark = pytest.mark.django_db


def post_file(client, site, data, name="data.csv"):
    return client.post(
        reverse("evaluations_admin:upload"),
        {"site": site.pk, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_messy_file_preview_lists_every_error_then_corrected_file_imports(
    client, site_a, contributor_a, media_tmp
):
    client.force_login(contributor_a)
    messy = (FIXTURES / "outcomes_messy.csv").read_bytes().replace(b"harlow-county-mo", b"site-a")
    response = post_file(client, site_a, messy, "messy.csv")
    batch = UploadBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "evaluations_admin:batch", args=[batch.pk]
    )
    page = client.get(response.url).content.decode()
    assert batch.status == UploadBatch.Status.FAILED
    assert "Unknown metric" in page and "Did you mean" in page and "nonfatal_shootings" in page
    assert "Import " not in page  # no confirm button
    assert OutcomeObservation.objects.count() == 0
    # The batch stays as the record of the attempt, worded as what happened: nothing failed
    # half-way, the file was turned down and nothing was saved.
    assert "Not imported: the file has errors" in page and "Nothing was saved." in page
    assert ">Failed<" not in page
    listing = client.get(reverse("evaluations_admin:batches")).content.decode()
    assert "Not imported: the file has errors" in listing and ">Failed<" not in listing

    response = post_file(
        client, site_a, (FIXTURES / "outcomes_clean.csv").read_bytes(), "clean.csv"
    )
    batch = UploadBatch.objects.get(file_name="clean.csv")
    assert batch.status == UploadBatch.Status.VALIDATED
    page = client.get(response.url).content.decode()
    assert "Import 28 new and 0 updated rows" in page and "Sample of the changes" in page
    assert OutcomeObservation.objects.count() == 0  # preview writes nothing
    response = client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == UploadBatch.Status.IMPORTED
    assert OutcomeObservation.objects.count() == 28
    page = client.get(reverse("evaluations_admin:batch", args=[batch.pk])).content.decode()
    assert "Roll back this batch" in page
    rollback = reverse("evaluations_admin:batch_rollback", args=[batch.pk])
    confirm = client.get(rollback)  # the link asks first and changes nothing
    assert confirm.status_code == 200
    assert "delete the 28 rows it created" in confirm.content.decode()
    assert OutcomeObservation.objects.count() == 28
    client.post(rollback)
    assert OutcomeObservation.objects.count() == 0
    assert client.get(rollback).status_code == 302  # nothing left to roll back


def test_reupload_in_admin_says_imported_before(client, site_a, contributor_a, media_tmp):
    client.force_login(contributor_a)
    data = (FIXTURES / "outcomes_clean.csv").read_bytes()
    post_file(client, site_a, data)
    first = UploadBatch.objects.get()
    client.post(reverse("evaluations_admin:batch_confirm", args=[first.pk]))
    response = post_file(client, site_a, data)
    page = client.get(response.url).content.decode()
    assert "already imported" in page
    second = UploadBatch.objects.exclude(pk=first.pk).get()
    client.post(reverse("evaluations_admin:batch_confirm", args=[second.pk]))
    assert OutcomeObservation.objects.count() == 28
    second.refresh_from_db()
    assert second.status == UploadBatch.Status.VALIDATED


def test_contributor_cannot_upload_or_see_other_sites(
    client, site_a, site_b, contributor_a, contributor_b, media_tmp
):
    client.force_login(contributor_b)
    post_file(client, site_b, csv_bytes(*month_rows("homicides", "B", "treatment", [1])))
    other_batch = UploadBatch.objects.get()
    client.force_login(contributor_a)
    response = post_file(client, site_b, csv_bytes(*month_rows("homicides", "B", "treatment", [1])))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert client.get(reverse("evaluations_admin:batch", args=[other_batch.pk])).status_code == 404
    assert (
        client.post(reverse("evaluations_admin:batch_confirm", args=[other_batch.pk])).status_code
        == 404
    )
    assert (
        f"#{other_batch.pk}<"
        not in client.get(reverse("evaluations_admin:batches")).content.decode()
    )


def test_research_partner_reads_but_cannot_upload(
    client, site_a, contributor_a, research_user, media_tmp
):
    client.force_login(contributor_a)
    post_file(client, site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1])))
    batch = UploadBatch.objects.get()
    client.force_login(research_user)
    assert client.get(reverse("evaluations_admin:batch", args=[batch.pk])).status_code == 200
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert client.get(reverse("evaluations_admin:upload")).status_code in (302, 403)
    client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))
    assert OutcomeObservation.objects.count() == 0


def test_large_file_runs_as_task_with_progress(client, site_a, contributor_a, media_tmp, settings):
    settings.PORTAL_UPLOAD_BACKGROUND_ROWS = 5  # the test backend runs tasks immediately
    client.force_login(contributor_a)
    response = post_file(
        client, site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1] * 12))
    )
    batch = UploadBatch.objects.get()
    progress = client.get(reverse("evaluations_admin:batch_progress", args=[batch.pk])).json()
    assert progress == {
        "status": "validated",
        "status_label": "Validated",
        "percent": 100,
        "message": "Checked; ready to import",
        "running": False,
        "stalled": False,
        "failure_reason": "",
    }
    client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == UploadBatch.Status.IMPORTED and batch.rows_new == 12
    assert response.status_code == 302


def test_progress_bar_shown_while_running(client, site_a, contributor_a, media_tmp):
    client.force_login(contributor_a)
    post_file(client, site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1])))
    batch = UploadBatch.objects.get()
    UploadBatch.objects.filter(pk=batch.pk).update(
        status="importing", progress_percent=40, progress_message="Writing rows"
    )
    page = client.get(reverse("evaluations_admin:batch", args=[batch.pk])).content.decode()
    assert '<progress id="batch-progress" max="100" value="40">' in page
    assert "upload-progress.js" in page and "Refresh" in page


def test_templates_download(client, contributor_a):
    client.force_login(contributor_a)
    response = client.get(reverse("evaluations_admin:template", args=["xlsx"]))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    response = client.get(reverse("evaluations_admin:template", args=["csv"]))
    assert response.content.startswith(b"site,metric,area")


def test_admin_export_only_own_sites(client, site_a, site_b, contributor_a, bja_user):
    from tests.evaluations.helpers import upload

    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2])), bja_user)
    upload(site_b, csv_bytes(*month_rows("homicides", "B", "treatment", [3])), bja_user)
    client.force_login(contributor_a)
    response = client.get(reverse("evaluations_admin:export") + "?format=csv")
    lines = response.content.decode().splitlines()
    assert len(lines) == 3 and all("site-b" not in line for line in lines)
    assert "1" in lines[1].split(",")  # unpublished values are not suppressed for members


def test_publish_page(client, site_a, site_b, contributor_a, bja_user):
    from tests.evaluations.helpers import upload

    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2])), bja_user)
    client.force_login(contributor_a)
    client.post(reverse("evaluations_admin:publish"), {"site": site_a.pk, "action": "publish"})
    assert OutcomeObservation.objects.filter(is_published=True).count() == 2
    response = client.post(
        reverse("evaluations_admin:publish"), {"site": site_b.pk, "action": "publish"}
    )
    assert response.status_code == 400  # site_b is not a choice for this contributor
    assert not OutcomeObservation.objects.filter(site=site_b, is_published=True).exists()


def test_admin_menu_and_catalogue(client, bja_user, contributor_a):
    client.force_login(bja_user)
    response = client.get("/admin/")
    assert "Outcome data" in response.content.decode()
    response = client.get(reverse("wagtailsnippets_evaluations_outcomemetric:list"))
    assert response.status_code == 200 and "nonfatal_shootings" in response.content.decode()
    client.force_login(contributor_a)
    edit = reverse("wagtailsnippets_evaluations_outcomemetric:edit", args=[1])
    assert client.get(edit).status_code in (302, 403)
