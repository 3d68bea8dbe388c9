"""The permission table in docs/permissions.md, walked for every role.

The test reads the table, builds two sites with unpublished work each (draft strategy,
upload batch, analysis, document, API token), signs in as each role and requests every URL:
the status must match the table, and no response to one site's contributor may contain the
other site's unpublished titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.models import GroupApprovalTask

from evaluations.models import AnalysisResult
from portal.api_auth import api_token_create
from strategies.services import REVIEW_TASK_NAME, evidence_rating_set
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis, publish_rows
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

    @property
    def method(self) -> str:
        return "POST" if self.url.startswith("POST ") else "GET"

    @property
    def path(self) -> str:
        return self.url.split(" ")[1] if self.method == "POST" else self.url

    @property
    def body(self) -> str:
        parts = self.url.split(" ", 2)
        return parts[2] if self.method == "POST" and len(parts) == 3 else ""


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
    redirects back with an error message; the action was not done. Only the messages this
    request added count: an earlier refusal's message waits in the session until a page
    shows it."""
    from django.contrib import messages

    storage = getattr(response.wsgi_request, "_messages", None)
    added = getattr(storage, "_queued_messages", [])
    return any(m.level >= messages.ERROR for m in added)


def outcome(response, method: str = "GET") -> str:
    if response.status_code == 200 or (method == "POST" and response.status_code == 201):
        return "allow"
    if method == "POST" and response.status_code == 400:
        return "deny"  # the form or payload was refused (e.g. another site's id)
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


def follow_visible(client, response, hops: int = 3):
    """A GET redirected to another page, not to sign in and not to the dashboard, answers
    with that page (``/admin/pages/`` opens the explorer at the root this user may see; a
    page's revisions open its history): the table's cell is that page's answer, and the
    check for the other site's titles reads that page."""
    while hops and response.status_code == 302:
        location = response["Location"]
        refused = location.startswith(("/admin/login/", "/django-admin/login/"))
        if refused or location == "/admin/" or not location.startswith("/"):
            break
        response = client.get(location)
        hops -= 1
    return response


def send(client, row: Row, values: dict):
    """Request one row: ``GET path``, ``POST path`` or ``POST path body``. A body that is one
    placeholder sends that value as the request body (bytes as CSV, a dict as JSON); any other
    body is form data, ``key=value&...`` with placeholders in the values (a placeholder whose
    value is bytes is sent as a file)."""
    method, path, body = row.method, row.path.format(**values), row.body
    if method == "GET":
        return client.get(path)
    if not body:
        return client.post(path)
    whole = body[1:-1] if body.startswith("{") and body.endswith("}") else None
    if whole in values and isinstance(values[whole], bytes):
        return client.post(path, values[whole], content_type="text/csv")
    if whole in values and isinstance(values[whole], dict):
        return client.post(path, values[whole], content_type="application/json")
    data: dict[str, list] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        named = values.get(value[1:-1]) if value.startswith("{") else None
        if isinstance(named, bytes):
            filled = SimpleUploadedFile(f"{key}.csv", named, content_type="text/csv")
        else:
            filled = value.format(**values)
        data.setdefault(key, []).append(filled)
    return client.post(path, data)


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _received(site, user, name: str, area: str):
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


# Every state-changing POST of the outcome-data and analyses admin, the API, the ratings and
# the token pages, with ``{}`` for each object. Accepting a rating suggestion needs a
# suggestion, so tests/governance/test_ratings.py walks it instead.
POST_ROUTES = {
    "/admin/outcome-data/upload/",
    "/admin/outcome-data/publish/",
    "/admin/outcome-data/batches/{}/confirm/",
    "/admin/outcome-data/batches/{}/rollback/",
    "/admin/outcome-data/batches/{}/retry/",
    "/admin/analyses/new/",
    "/admin/analyses/{}/run/",
    "/admin/analyses/{}/publish/",
    "/admin/analyses/{}/versions/{}/review/",
    "/api/v1/sites/{}/outcomes/",
    "/api/v1/analyses/",
    "/admin/strategy-ratings/{}/add/",
    "/admin/strategy-ratings/{}/{}/",
    "/admin/api-tokens/new/",
    "/admin/api-tokens/{}/revoke/",
}
# Wagtail's own page actions on site B's pages (publish, unpublish, revert, lock, unlock,
# workflow actions), the page explorer's entry (it redirects to the user's root) and an
# unpublished analysis's chart files.
PAGE_ACTIONS = {
    "/admin/pages/",
    "/admin/pages/{draft_b}/revisions/{revision_b}/revert/",
    "/admin/pages/{live_b}/unpublish/",
    "/admin/pages/workflow/collect_action_data/{draft_b}/approve/{task_state_b}/",
    "/admin/pages/workflow/collect_action_data/{draft_b}/reject/{task_state_b}/",
    "/admin/pages/workflow/confirm_cancellation/{draft_b}/",
    "/admin/bulk/wagtailcore/page/publish/?id={draft_b}",
    "POST /admin/pages/{live_b}/unpublish/",
    "POST /admin/bulk/wagtailcore/page/publish/?id={live_b}",
    "POST /admin/bulk/wagtailcore/page/unpublish/?id={live_b}",
    "POST /admin/pages/{draft_b}/lock/",
    "POST /admin/pages/{draft_b}/unlock/",
    "POST /admin/pages/workflow/action/{draft_b}/approve/{task_state_b}/",
    "/evaluations/analyses/{analysis_b}/chart-{analysis_b}-series.csv",
    "/evaluations/analyses/{analysis_b}/chart-{analysis_b}-series.svg",
    "/evaluations/analyses/{analysis_b}/chart-{analysis_b}-series.png",
}
PUBLIC_METRIC = "shots_fired_calls"  # a metric the batches above do not touch


def _with_version_awaiting_review(analysis):
    """A second run of a published analysis, on the same published rows, waiting for BJA."""
    approved = analysis.results.get()
    AnalysisResult.objects.filter(pk=approved.pk).update(is_current=False)
    pending = AnalysisResult.objects.get(pk=approved.pk)
    pending.pk = None
    pending.version, pending.is_current, pending.review_status = 2, True, "pending"
    pending.input_hash = "b" * 64
    pending.save()
    return analysis


def _public_analyses_of(site) -> dict:
    """Site B's analyses on published figures: one ready to publish (its title is still
    secret), and two public ones, each with a version awaiting review (approve, reject)."""
    ready = make_analysis(
        site=site, published=False, metric_code=PUBLIC_METRIC, title="Bravo secret ready one"
    )
    publish_rows(site, ready.metric, ready.results.get().data)
    public = {
        name: _with_version_awaiting_review(
            make_analysis(site=site, metric_code=PUBLIC_METRIC, title=f"Bravo public {name}")
        )
        for name in ("analysis_b_public", "analysis_b_public_other")
    }
    return {"analysis_b_ready": ready, **public}


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
    public = _public_analyses_of(site_b)
    rating_b = evidence_rating_set(
        user=bja_user,
        page=objects["b"]["draft"],
        outcome="Non-fatal shootings",
        metric_code="nonfatal_shootings",
        rating="promising",
        reason="Early months look better than the comparison zones.",
    )
    live_b = factories.strategy_page_for(
        site_b, parent=strategy_index, title="Bravo published strategy", owner=contributor_b
    )
    b = objects["b"]
    assert b["batch_validated"].stored_file.name, "an admin upload keeps its file"
    placeholders = {
        "live_b": live_b.pk,
        "draft_b": b["draft"].pk,
        "batch_b": b["batch"].pk,
        "batch_b_file": b["batch_validated"].stored_file.name,
        "analysis_b": b["analysis"].pk,
        "result_b": b["result"].pk,
        "document_b": b["document"].pk,
        "document_b_file": f"{b['document'].pk}/{b['document'].filename}",
        "token_b": b["token"].pk,
        "revision_b": b["draft"].revisions.order_by("pk").first().pk,
        "task_state_b": b["draft"].current_workflow_task_state.pk,
        "batch_b_validated": b["batch_validated"].pk,
        "batch_b_stalled": b["batch_stalled"].pk,
        "image_b": b["image"].pk,
        "image_b_original": b["image"].file.name,
        "image_b_rendition": b["image"].get_rendition("max-20x20").file.name,
        "task": GroupApprovalTask.objects.get(name=REVIEW_TASK_NAME).pk,
        "site_b_id": site_b.pk,
        "rating_b": rating_b.pk,
        "source_b": f"{site_b.pk}:{public['analysis_b_ready'].metric_id}",
        **{name: analysis.pk for name, analysis in public.items()},
        "result_b_pending": public["analysis_b_public"].results.get(version=2).pk,
        "result_b_pending_other": public["analysis_b_public_other"].results.get(version=2).pk,
        "csv_b": csv_bytes(*month_rows("homicides", "Zone 7", "treatment", [2, 1], 2024)),
        "analysis_spec_b": {
            "site": site_b.slug,
            "design": "did",
            "metric": PUBLIC_METRIC,
            "treatment_area": "Zone 3",
            "comparison_areas": ["Zone 1", "Zone 2"],
            "intervention_date": "2022-01-01",
            "title": "Bravo secret API analysis",
        },
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
        "batch_b_file",
        "batch_b_validated",
        "batch_b_stalled",
        "analysis_b",
        "document_b",
        "image_b",
        "image_b_original",
        "analysis_b_ready",
        "analysis_b_public",
        "result_b_pending",
        "result_b_pending_other",
        "rating_b",
        "csv_b",
        "analysis_spec_b",
        "image_b_rendition",
        "token_b",
        "revision_b",
        "task_state_b",
        "live_b",
    ):
        assert "{" + name + "}" in urls
    assert len(rows) >= 70
    walked = {
        re.sub(r"\{[a-z_]+\}|site-b", "{}", row.path.split("?")[0])
        for row in rows
        if row.method == "POST"
    }
    assert not POST_ROUTES - walked, f"no row for {POST_ROUTES - walked}"
    every = {row.url for row in rows}
    assert not PAGE_ACTIONS - every, f"no row for {PAGE_ACTIONS - every}"


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_as_the_table_says(client, world, role):
    placeholders, users = world
    if users[role] is not None:
        client.force_login(users[role])
    own = {"contributor A": "A", "contributor B": "B"}.get(role)
    other = {"A": "B", "B": "A"}.get(own or "")
    mismatches = []
    for row in table_rows():
        response = send(client, row, placeholders)
        if row.method == "GET":
            response = follow_visible(client, response)
        got = outcome(response, row.method)
        if got != row.expected[role]:
            answer = f"{response.status_code} {response.get('Location', '')}".strip()
            mismatches.append(f"{row.url}: table says {row.expected[role]}, got {got} ({answer})")
        if other and SECRET[other] in body_of(response):
            mismatches.append(f"{row.url}: shows site {other}'s unpublished work to {role}")
    assert not mismatches, "\n".join(mismatches)


def site_b_state(site_b) -> dict:
    """What site B's POST rows could change: its strategy pages (live, locked, revisions)
    and their workflows, analyses and their versions, batches, published figures, tokens and
    ratings."""
    from wagtail.models import Page, WorkflowState

    from evaluations.models import Analysis, OutcomeObservation, UploadBatch
    from portal.models import ApiToken
    from strategies.models import EvidenceRating

    observations = OutcomeObservation.objects.filter(site=site_b)
    pages = Page.objects.filter(strategypage__grantee_site=site_b).order_by("pk")
    return {
        "pages": list(pages.values_list("pk", "title", "live", "locked", "latest_revision_id")),
        "workflows": list(
            WorkflowState.objects.filter(
                base_content_type__model="page", object_id__in=[str(p.pk) for p in pages]
            )
            .order_by("pk")
            .values_list("pk", "status")
        ),
        "analyses": list(
            Analysis.objects.filter(site=site_b).order_by("pk").values_list("pk", "is_published")
        ),
        "versions": list(
            AnalysisResult.objects.filter(analysis__site=site_b)
            .order_by("pk")
            .values_list("pk", "status", "review_status", "is_current")
        ),
        "batches": list(
            UploadBatch.objects.filter(site=site_b).order_by("pk").values_list("pk", "status")
        ),
        "observations": (observations.count(), observations.filter(is_published=True).count()),
        "tokens": list(
            ApiToken.objects.filter(user__site_memberships__site=site_b).values_list(
                "pk", "revoked_at"
            )
        ),
        "ratings": list(
            EvidenceRating.objects.filter(page__grantee_site=site_b).values_list("pk", "rating")
        ),
    }


@pytest.mark.parametrize("role", ROLES)
def test_refused_posts_change_nothing_of_site_b(client, world, site_b, role):
    """The POST rows the table denies a role change nothing of site B, whatever the
    answer looked like (a refusal is not only a status code)."""
    placeholders, users = world
    if users[role] is not None:
        client.force_login(users[role])
    before = site_b_state(site_b)
    for row in table_rows():
        if row.method == "POST" and row.expected[role] == "deny":
            send(client, row, placeholders)
    assert site_b_state(site_b) == before


def test_the_dashboard_page_count_ignores_the_other_sites_pages(
    client, strategy_index, site_a, site_b, contributor_a
):
    def count() -> int:
        body = client.get("/admin/").content.decode()
        return int(re.search(r"(\d+) Pages? <span class=\"w-sr-only\">created", body).group(1))

    client.force_login(contributor_a)
    before = count()
    factories.strategy_page_for(site_b, parent=strategy_index, title="Bravo draft", publish=False)
    assert count() == before
    factories.strategy_page_for(site_a, parent=strategy_index, title="Alpha draft", publish=False)
    assert count() == before + 1
