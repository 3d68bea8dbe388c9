"""The permission table in docs/permissions.md, walked for every role.

The test reads the table, builds two sites with unpublished work each (draft strategy,
upload batch, analysis, document, API token), signs in as each role and requests every URL:
the status must match the table, and no response to one site's contributor may contain the
other site's unpublished titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import GroupApprovalTask

from evaluations.models import AnalysisResult
from portal.api_auth import api_token_create
from strategies.services import REVIEW_TASK_NAME
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db

TABLE = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = (
    "anonymous",
    "contributor A",
    "contributor B",
    "BJA staff",
    "research partner",
    "superuser",
)
SECRET = {"A": "Alpha secret", "B": "Bravo secret"}


@dataclass(frozen=True)
class Row:
    url: str
    expected: dict[str, str]


def table_rows() -> list[Row]:
    text = TABLE.read_text()
    body = text.split("<!-- permission-table:start -->")[1].split("<!-- permission-table:end -->")[
        0
    ]
    lines = [line for line in body.strip().splitlines() if line.startswith("| `")]
    header = [c.strip() for c in body.strip().splitlines()[0].strip("|").split("|")]
    assert tuple(header[1:]) == ROLES, header
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        url = cells[0].strip("`")
        assert all(c in ("allow", "deny") for c in cells[1:]), line
        rows.append(Row(url=url, expected=dict(zip(ROLES, cells[1:], strict=True))))
    return rows


def _refused_with_a_message(response) -> bool:
    """A POST the view turned down after the checks it makes (say, the batch's status)
    redirects back with an error message; the action was not done."""
    from django.contrib import messages

    storage = getattr(response.wsgi_request, "_messages", None)
    return storage is not None and any(m.level >= messages.ERROR for m in storage)


def outcome(response, method: str = "GET") -> str:
    if response.status_code == 200:
        return "allow"
    if method == "POST" and response.status_code == 302:
        location = response["Location"]
        denied = location.startswith("/admin/login/") or location == "/admin/"
        return "deny" if denied or _refused_with_a_message(response) else "allow"
    if response.status_code in (401, 403, 404):
        return "deny"
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(("/admin/login/", "/django-admin/login/")) or location == "/admin/":
            return "deny"
    return f"unexpected {response.status_code} {response.get('Location', '')}"


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _received(site, user, name: str, area: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations.services import outcome_upload_receive

    data = csv_bytes(*month_rows("nonfatal_shootings", area, "treatment", [6, 7]))
    return outcome_upload_receive(
        site=site, user=user, upload=SimpleUploadedFile(name, data), file_name=name
    )


def _validated_batch(site, user, name: str):
    """A checked batch waiting for confirmation (other rows than the imported batch's)."""
    from evaluations.services import outcome_upload_validate

    return outcome_upload_validate(batch=_received(site, user, name, "Zone 9"))


def _stalled_batch(site, user, name: str):
    """A batch whose check stopped (its worker died) an hour ago: it may be retried."""
    import datetime as dt

    from django.utils import timezone

    from evaluations.batches import batch_transition
    from evaluations.models import UploadBatch

    batch = batch_transition(_received(site, user, name, "Zone 8"), UploadBatch.Status.VALIDATING)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    UploadBatch.objects.filter(pk=batch.pk).update(heartbeat_at=an_hour_ago)
    return batch


@pytest.fixture
def world(
    strategy_index, site_a, site_b, contributor_a, contributor_b, bja_user, research_user, media_tmp
):
    """Unpublished work of each site, with the other site's secret marker in every title."""
    objects = {}
    for key, site, user in (("a", site_a, contributor_a), ("b", site_b, contributor_b)):
        marker = SECRET[key.upper()]
        site.refresh_from_db()
        page = factories.strategy_page_for(
            site, parent=strategy_index, title=f"{marker} draft", publish=False, owner=user
        )
        Document = get_document_model()
        document = Document(title=f"{marker} MOU", collection=site.media_collection)
        document.file.save(f"{key}-mou.txt", ContentFile(b"text"), save=False)
        document.save()
        image = factories.image_in(site.media_collection, f"{marker} zone map")
        page.body = [
            {"type": "document", "value": {"document": document.pk, "description": "MOU"}},
            {"type": "figure", "value": {"image": image.pk, "alt_text": "Map", "caption": ""}},
        ]
        page.save_revision()
        page.get_workflow().start(page, user)
        rows = month_rows("nonfatal_shootings", "Zone 3", "treatment", [3, 4, 5])
        batch = upload(site, csv_bytes(*rows), user=user, name=f"{marker} file.csv").batch
        analysis = make_analysis(site=site, published=False, title=f"{marker} analysis")
        token, _ = api_token_create(user=user, name=f"{marker} token")
        objects[key] = {
            "draft": page,
            "document": document,
            "batch": batch,
            "analysis": analysis,
            "result": AnalysisResult.objects.filter(analysis=analysis).first(),
            "token": token,
            "image": image,
            "batch_validated": _validated_batch(site, user, f"{marker} second file.csv"),
            "batch_stalled": _stalled_batch(site, user, f"{marker} stalled file.csv"),
        }
    b = objects["b"]
    placeholders = {
        "draft_b": b["draft"].pk,
        "batch_b": b["batch"].pk,
        "analysis_b": b["analysis"].pk,
        "result_b": b["result"].pk,
        "document_b": b["document"].pk,
        "document_b_file": f"{b['document'].pk}/{b['document'].filename}",
        "token_b": b["token"].pk,
        "batch_b_validated": b["batch_validated"].pk,
        "batch_b_stalled": b["batch_stalled"].pk,
        "image_b": b["image"].pk,
        "image_b_original": b["image"].file.name,
        "image_b_rendition": b["image"].get_rendition("max-20x20").file.name,
        "task": GroupApprovalTask.objects.get(name=REVIEW_TASK_NAME).pk,
    }
    users = {
        "anonymous": None,
        "contributor A": contributor_a,
        "contributor B": contributor_b,
        "BJA staff": bja_user,
        "research partner": research_user,
        "superuser": get_user_model().objects.create_superuser("root", "root@example.org", "x"),
    }
    return placeholders, users


def test_the_table_covers_every_role_and_the_named_objects():
    rows = table_rows()
    urls = " ".join(row.url for row in rows)
    for name in (
        "draft_b",
        "batch_b",
        "batch_b_validated",
        "batch_b_stalled",
        "analysis_b",
        "document_b",
        "image_b",
        "image_b_original",
        "image_b_rendition",
        "token_b",
    ):
        assert "{" + name + "}" in urls
    assert len(rows) >= 55


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_as_the_table_says(client, world, role):
    placeholders, users = world
    if users[role] is not None:
        client.force_login(users[role])
    own = {"contributor A": "A", "contributor B": "B"}.get(role)
    other = {"A": "B", "B": "A"}.get(own or "")
    mismatches = []
    for row in table_rows():
        method, _, path = row.url.rpartition(" ")
        url = path.format(**placeholders)
        response = client.post(url) if method == "POST" else client.get(url)
        got = outcome(response, method or "GET")
        if got != row.expected[role]:
            mismatches.append(f"{url}: table says {row.expected[role]}, got {got}")
        if other and SECRET[other] in body_of(response):
            mismatches.append(f"{url}: shows site {other}'s unpublished work to {role}")
    assert not mismatches, "\n".join(mismatches)


def test_the_dashboard_page_count_ignores_the_other_sites_pages(
    client, strategy_index, site_a, site_b, contributor_a
):
    import re

    def count() -> int:
        body = client.get("/admin/").content.decode()
        return int(re.search(r"(\d+) Pages? <span class=\"w-sr-only\">created", body).group(1))

    client.force_login(contributor_a)
    before = count()
    factories.strategy_page_for(site_b, parent=strategy_index, title="Bravo draft", publish=False)
    assert count() == before
    factories.strategy_page_for(site_a, parent=strategy_index, title="Alpha draft", publish=False)
    assert count() == before + 1
