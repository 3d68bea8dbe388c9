"""The moderation workflow through the real admin URLs: contributors draft and submit for their
own grantee site only, BJA staff publish, and nobody sees another site's drafts."""

from __future__ import annotations

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, WorkflowState
from wagtail.test.utils.form_data import (
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from strategies.models import StrategyPage, StrategyType
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(strategy_index, site_a, site_b, contributor_a, contributor_b):
    """One unpublished strategy per site, each owned by that site's contributor."""
    draft_a = factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Alpha draft zone plan",
        publish=False,
        owner=contributor_a,
    )
    draft_b = factories.strategy_page_for(
        site_b,
        parent=strategy_index,
        title="Bravo draft witness plan",
        publish=False,
        owner=contributor_b,
    )
    return draft_a, draft_b


def listed_titles(client, url: str = "/strategies/") -> list[str]:
    """Titles of the strategies the public list shows (not flash messages or menus)."""
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".usa-collection__heading")]


def login(client, user):
    client.force_login(user)
    return client


def allowed(response) -> bool:
    return response.status_code == 200


def denied(response) -> bool:
    """Wagtail answers a refused admin view with 403, or a redirect to the dashboard/login; the
    portal answers 404 for another site's page, so the answer does not confirm it exists."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and (
        response["Location"].startswith("/admin/login/") or response["Location"] == "/admin/"
    )


def form_data(client, url: str, form_id: str, **fields):
    """The admin form as the browser would post it, with a body and the given changes."""
    html = client.get(url).content.decode()
    data = querydict_from_html(html, form_id=form_id)
    data.update(
        nested_form_data(
            {"body": streamfield([("problem", rich_text("<p>Shootings rose 20%.</p>"))])}
        )
    )
    for name, value in fields.items():
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


def edit_post(client, page, **fields):
    url = f"/admin/pages/{page.pk}/edit/"
    return client.post(url, form_data(client, url, "page-edit-form", **fields))


ADMIN_VIEWS = {
    "edit": "/admin/pages/{pk}/edit/",
    "view draft": "/admin/pages/{pk}/view_draft/",
    "history": "/admin/pages/{pk}/history/",
    "revisions": "/admin/pages/{pk}/revisions/{revision}/view/",
    "delete": "/admin/pages/{pk}/delete/",
    "lock": "/admin/pages/{pk}/lock/",
}


def _url(view: str, page) -> str:
    return ADMIN_VIEWS[view].format(pk=page.pk, revision=page.latest_revision_id)


@pytest.mark.parametrize("view", ["edit", "view draft", "history", "revisions"])
def test_contributor_reaches_own_sites_draft(client, drafts, contributor_a, view):
    draft_a, _ = drafts
    assert allowed(login(client, contributor_a).get(_url(view, draft_a)))


@pytest.mark.parametrize("view", sorted(ADMIN_VIEWS))
def test_contributor_cannot_reach_other_sites_draft(client, drafts, contributor_a, view):
    _, draft_b = drafts
    method = client.post if view == "lock" else client.get
    login(client, contributor_a)
    assert denied(method(_url(view, draft_b)))


@pytest.mark.parametrize("view", ["edit", "view draft", "history", "revisions"])
def test_bja_staff_reach_every_sites_draft(client, drafts, bja_user, view):
    login(client, bja_user)
    for draft in drafts:
        assert allowed(client.get(_url(view, draft)))


@pytest.mark.parametrize("view", ["edit", "view draft", "history", "revisions"])
def test_research_partner_and_anonymous_cannot_reach_drafts(client, drafts, research_user, view):
    for draft in drafts:
        assert denied(client.get(_url(view, draft)))
    login(client, research_user)
    for draft in drafts:
        assert denied(client.get(_url(view, draft)))


def test_drafts_are_not_public(client, drafts):
    for draft in drafts:
        assert client.get(f"/strategies/{draft.slug}/").status_code == 404


def test_explorer_lists_only_own_sites_strategies(client, drafts, strategy_index, contributor_a):
    html = login(client, contributor_a).get(f"/admin/pages/{strategy_index.pk}/").content.decode()
    assert "Alpha draft zone plan" in html
    assert "Bravo draft witness plan" not in html


def test_explorer_shows_bja_every_site(client, drafts, strategy_index, bja_user):
    html = login(client, bja_user).get(f"/admin/pages/{strategy_index.pk}/").content.decode()
    assert "Alpha draft zone plan" in html
    assert "Bravo draft witness plan" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/pages/search/?q=draft",
        "/admin/pages/?q=draft",
        "/admin/pages/{index}/?q=draft",
        "/admin/api/main/pages/?child_of={index}&for_explorer=1",
        "/admin/choose-page/search/?q=draft",
    ],
)
def test_admin_search_and_menus_hide_other_sites_drafts(
    client, drafts, strategy_index, contributor_a, contributor_b, url
):
    url = url.format(index=strategy_index.pk)
    html_a = login(client, contributor_a).get(url).content.decode()
    assert "Bravo draft witness plan" not in html_a
    html_b = login(client, contributor_b).get(url).content.decode()
    assert "Alpha draft zone plan" not in html_b


def test_research_partner_explorer_shows_no_strategy_drafts(client, drafts, research_user):
    html = login(client, research_user).get("/admin/pages/search/?q=draft").content.decode()
    assert "Alpha draft" not in html
    assert "Bravo draft" not in html


def test_contributor_creates_draft_only_for_own_site(
    client, strategy_index, site_a, site_b, contributor_a
):
    login(client, contributor_a)
    url = f"/admin/pages/add/strategies/strategypage/{strategy_index.pk}/"
    page = client.get(url)
    assert allowed(page)
    html = page.content.decode()
    assert site_a.name in html
    assert site_b.name not in html
    gunstat = StrategyType.objects.get(slug="gun-violence-crime-analysis-gunstat")
    fields = {
        "title": "Alpha GunStat",
        "slug": "alpha-gunstat",
        "summary": "Weekly shooting review.",
        "start_year": 2022,
        "status": "active",
        "strategy_types": [gunstat.pk],
    }
    # Another site is not a choice, so the form refuses it and nothing is created.
    refused = client.post(
        url, form_data(client, url, "page-edit-form", grantee_site=site_b.pk, **fields)
    )
    assert refused.status_code == 200
    assert not StrategyPage.objects.filter(slug="alpha-gunstat").exists()

    client.post(url, form_data(client, url, "page-edit-form", grantee_site=site_a.pk, **fields))
    created = StrategyPage.objects.get(slug="alpha-gunstat")
    assert created.grantee_site == site_a
    assert not created.live
    assert created.owner == contributor_a


def test_contributor_without_a_site_cannot_open_the_create_form(client, strategy_index, roles):
    from portal.roles import SITE_CONTRIBUTOR

    loner = factories.user_with_role(SITE_CONTRIBUTOR, username="loner")
    login(client, loner)
    url = f"/admin/pages/add/strategies/strategypage/{strategy_index.pk}/"
    assert denied(client.get(url))


def test_contributor_cannot_edit_the_index_page(client, strategy_index, contributor_a):
    assert denied(login(client, contributor_a).get(f"/admin/pages/{strategy_index.pk}/edit/"))


def test_contributor_submits_but_cannot_publish(client, drafts, contributor_a):
    draft_a, _ = drafts
    login(client, contributor_a)
    edit_post(client, draft_a, **{"action-publish": "action-publish"})
    draft_a.refresh_from_db()
    assert not draft_a.live

    edit_post(client, draft_a, **{"action-submit": "1"})
    draft_a.refresh_from_db()
    state = WorkflowState.objects.get(object_id=str(draft_a.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "BJA review"
    assert not draft_a.live


def test_contributor_cannot_submit_or_change_other_sites_draft(client, drafts, contributor_a):
    _, draft_b = drafts
    login(client, contributor_a)
    response = client.post(
        f"/admin/pages/{draft_b.pk}/edit/", {"title": "Hijacked", "action-submit": "1"}
    )
    assert denied(response)
    draft_b.refresh_from_db()
    assert draft_b.draft_title == "Bravo draft witness plan"
    assert not WorkflowState.objects.filter(object_id=str(draft_b.pk)).exists()


def test_bja_approves_submission_and_it_appears_in_the_list(
    client, drafts, contributor_a, bja_user
):
    draft_a, _ = drafts
    login(client, contributor_a)
    edit_post(client, draft_a, **{"action-submit": "1"})
    assert "Alpha draft zone plan" not in listed_titles(client)

    login(client, bja_user)
    edit_post(
        client,
        draft_a,
        **{"action-workflow-action": "1", "workflow-action-name": "approve"},
    )
    draft_a.refresh_from_db()
    assert draft_a.live
    state = WorkflowState.objects.get(object_id=str(draft_a.pk))
    assert state.status == WorkflowState.STATUS_APPROVED
    client.logout()
    assert "Alpha draft zone plan" in listed_titles(client)


def test_bja_publishes_directly(client, drafts, bja_user):
    _, draft_b = drafts
    login(client, bja_user)
    edit_post(client, draft_b, **{"action-publish": "action-publish"})
    draft_b.refresh_from_db()
    assert draft_b.live


def test_contributor_edits_of_live_page_stay_drafts(client, strategy_index, site_a, contributor_a):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Alpha live")
    login(client, contributor_a)
    edit_post(client, page, title="Alpha live, revised")
    page.refresh_from_db()
    assert page.title == "Alpha live"
    assert page.draft_title == "Alpha live, revised"
    assert page.has_unpublished_changes
    assert page.revisions.count() == 2


def test_scheduled_publishing_goes_live_with_publish_scheduled(client, drafts, bja_user):
    _, draft_b = drafts
    go_live = timezone.localtime() + datetime.timedelta(hours=2)
    login(client, bja_user)
    edit_post(
        client,
        draft_b,
        go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
        **{"action-publish": "action-publish"},
    )
    draft_b.refresh_from_db()
    assert not draft_b.live
    revision = draft_b.revisions.get(approved_go_live_at__isnull=False)

    call_command("publish_scheduled")
    draft_b.refresh_from_db()
    assert not draft_b.live  # not yet due

    # Two hours pass (the revision's own schedule moves back with it).
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save()
    call_command("publish_scheduled")
    draft_b.refresh_from_db()
    assert draft_b.live
    client.logout()
    assert "Bravo draft witness plan" in listed_titles(client)


def test_moderation_setup_is_idempotent(strategy_index):
    from wagtail.models import GroupPagePermission, Workflow

    from strategies.services import strategy_moderation_sync

    before = (GroupPagePermission.objects.count(), Workflow.objects.count())
    strategy_moderation_sync(Page.objects.get(pk=strategy_index.pk))
    assert (GroupPagePermission.objects.count(), Workflow.objects.count()) == before


def test_create_form_preselects_a_contributors_only_site(client, strategy_index, contributor_a):
    html = (
        login(client, contributor_a)
        .get(f"/admin/pages/add/strategies/strategypage/{strategy_index.pk}/")
        .content.decode()
    )
    data = querydict_from_html(html, form_id="page-edit-form")
    assert data["grantee_site"] == str(contributor_a.site_memberships.get().site_id)


@pytest.mark.parametrize("who", ["anonymous", "research partner", "other site's contributor"])
@pytest.mark.parametrize("action", ["action-publish", "action-submit"])
def test_outsiders_cannot_publish_or_submit(
    client, drafts, research_user, contributor_b, who, action
):
    draft_a, _ = drafts
    user = {"research partner": research_user, "other site's contributor": contributor_b}.get(who)
    if user is not None:
        login(client, user)
    response = client.post(
        f"/admin/pages/{draft_a.pk}/edit/", {"title": draft_a.title, action: action}
    )
    assert denied(response)
    draft_a.refresh_from_db()
    assert not draft_a.live
    assert not WorkflowState.objects.filter(object_id=str(draft_a.pk)).exists()


def test_move_confirmation_does_not_name_another_sites_draft(client, drafts, contributor_a):
    """Wagtail's move confirmation prints the destination's latest title before any check
    ("move this page into '<title>'?"); a page id of another site as the destination, or
    as the page to move, answers 404."""
    draft_a, draft_b = drafts
    login(client, contributor_a)
    for url in (
        f"/admin/pages/{draft_a.pk}/move/{draft_b.pk}/confirm/",
        f"/admin/pages/{draft_b.pk}/move/{draft_a.pk}/confirm/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Bravo draft" not in response.content.decode()
    # A POST to it neither moves the page.
    assert client.post(f"/admin/pages/{draft_a.pk}/move/{draft_b.pk}/confirm/").status_code == 404
    draft_a.refresh_from_db()
    assert not draft_a.is_descendant_of(draft_b)
