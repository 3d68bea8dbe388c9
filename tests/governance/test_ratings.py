"""Evidence ratings change only by BJA staff's own action, never through page revisions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.log_actions import registry as log_registry
from wagtail.models import WorkflowState

from strategies.models import EvidenceRating
from strategies.services import evidence_rating_set
from tests import factories
from tests.strategies.test_moderation import denied, edit_post, form_data, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_a(strategy_index, site_a, contributor_a):
    return factories.strategy_page_for(
        site_a, parent=strategy_index, title="Alpha zone plan", owner=contributor_a
    )


def _old_revision_with_rating(page, rating: str):
    """A revision saved before ratings left page content: it still carries a rating."""
    revision = page.save_revision()
    content = dict(revision.content)
    content["evidence_ratings"] = [
        {
            "pk": None,
            "page": page.pk,
            "sort_order": 0,
            "outcome": "Non-fatal shootings",
            "metric_code": "nonfatal_shootings",
            "rating": rating,
            "reason": "About 30 percent fewer shootings.",
            "rated_on": "2025-01-01",
            "rated_by": None,
            "needs_review": False,
            "review_note": "",
        }
    ]
    revision.content = content
    revision.save(update_fields=["content"])
    return revision


def test_revert_save_submit_and_approval_cannot_restore_a_rating(
    client, live_a, contributor_a, bja_user
):
    old = _old_revision_with_rating(live_a, "effective")
    rating = evidence_rating_set(
        user=bja_user,
        page=live_a,
        outcome="Non-fatal shootings",
        metric_code="nonfatal_shootings",
        rating="no_effects",
        reason="The corrected data show no change against comparison districts.",
    )
    # The contributor reverts to the old revision, saves and submits it.
    login(client, contributor_a)
    revert_url = f"/admin/pages/{live_a.pk}/revisions/{old.pk}/revert/"
    data = form_data(client, revert_url, "page-edit-form", **{"action-submit": "1"})
    client.post(f"/admin/pages/{live_a.pk}/edit/", data)
    assert WorkflowState.objects.filter(object_id=str(live_a.pk)).exists()
    # BJA approves the workflow: the page is published, the rating is BJA's still.
    login(client, bja_user)
    edit_post(client, live_a, **{"action-workflow-action": "1", "workflow-action-name": "approve"})
    live_a.refresh_from_db()
    (after,) = live_a.evidence_ratings.all()
    assert (after.pk, after.rating, after.rated_by) == (rating.pk, "no_effects", bja_user)
    # Publishing the old revision directly does not restore it either.
    old.publish()
    assert EvidenceRating.objects.get(pk=rating.pk).rating == "no_effects"
    assert EvidenceRating.objects.filter(page=live_a).count() == 1


def test_ratings_are_not_stored_in_revisions(live_a, bja_user):
    evidence_rating_set(
        user=bja_user, page=live_a, outcome="Shootings", rating="promising", reason="Fewer."
    )
    revision = live_a.save_revision()
    assert "evidence_ratings" not in revision.content


def test_contributors_cannot_set_ratings(client, live_a, contributor_a):
    login(client, contributor_a)
    assert denied(client.get(f"/admin/strategy-ratings/{live_a.pk}/"))
    response = client.post(
        f"/admin/strategy-ratings/{live_a.pk}/add/",
        {"outcome": "Shootings", "rating": "effective", "reason": "Self-rated."},
    )
    assert denied(response)
    # The page editor no longer offers ratings at all, and a posted formset is ignored.
    edit_url = f"/admin/pages/{live_a.pk}/edit/"
    assert "evidence_ratings-TOTAL_FORMS" not in client.get(edit_url).content.decode()
    data = form_data(client, edit_url, "page-edit-form")
    data.update(
        {
            "evidence_ratings-TOTAL_FORMS": "1",
            "evidence_ratings-INITIAL_FORMS": "0",
            "evidence_ratings-0-outcome": "Shootings",
            "evidence_ratings-0-rating": "effective",
            "evidence_ratings-0-reason": "Self-rated.",
        }
    )
    client.post(edit_url, data)
    assert not EvidenceRating.objects.filter(page=live_a).exists()
    with pytest.raises(PermissionDenied):
        evidence_rating_set(
            user=contributor_a, page=live_a, outcome="x", rating="effective", reason="y"
        )


def test_bja_sets_a_rating_with_who_when_why_on_the_audit_log(client, live_a, bja_user):
    login(client, bja_user)
    assert client.get(f"/admin/pages/{live_a.pk}/").status_code == 200
    assert client.get(f"/admin/strategy-ratings/{live_a.pk}/").status_code == 200
    response = client.post(
        f"/admin/strategy-ratings/{live_a.pk}/add/",
        {
            "outcome": "Non-fatal shootings",
            "metric_code": "nonfatal_shootings",
            "rating": "promising",
            "reason": "Fewer shootings against comparison districts.",
        },
    )
    assert response.status_code == 302
    rating = live_a.evidence_ratings.get()
    assert (rating.rating, rating.rated_by) == ("promising", bja_user)
    assert client.get(live_a.url).content.decode().count("Promising") >= 1
    response = client.post(
        f"/admin/strategy-ratings/{live_a.pk}/{rating.pk}/",
        {"outcome": "Non-fatal shootings", "rating": "no_effects", "reason": "  "},
    )
    assert response.status_code == 200  # a reason is required
    client.post(
        f"/admin/strategy-ratings/{live_a.pk}/{rating.pk}/",
        {"outcome": "Non-fatal shootings", "rating": "no_effects", "reason": "Corrected data."},
    )
    entries = log_registry.get_logs_for_instance(live_a).filter(action="ips.rating.set")
    assert entries.count() == 2
    latest = entries.order_by("-timestamp", "-pk").first()
    assert latest.user_id == bja_user.pk
    assert latest.data["before"]["rating"] == "promising"
    assert latest.data["after"]["rating"] == "no_effects"
    assert latest.data["after"]["reason"] == "Corrected data."


def test_bja_accepts_or_overrides_a_suggestion_on_the_audit_log(
    client, live_a, site_a, bja_user, contributor_a
):
    from tests.evaluations.analysis_helpers import make_analysis

    make_analysis(site=site_a, design="its_with_comparison", strategy=live_a, title="A ITS")
    login(client, contributor_a)
    url = f"/admin/strategy-ratings/{live_a.pk}/accept/"
    assert denied(client.post(url, {"metric_code": "nonfatal_shootings"}))
    assert not live_a.evidence_ratings.exists()

    login(client, bja_user)
    page = client.get(f"/admin/strategy-ratings/{live_a.pk}/").content.decode()
    assert "Suggested ratings" in page and "nonfatal_shootings" in page
    assert "Suggested ratings (BJA staff only)" in client.get(live_a.url).content.decode()
    assert client.post(url, {"metric_code": "nonfatal_shootings"}).status_code == 302
    rating = live_a.evidence_ratings.get()
    assert rating.metric_code == "nonfatal_shootings" and rating.rated_by == bja_user
    assert rating.reason.startswith("Portal suggestion accepted:")
    entry = (
        log_registry.get_logs_for_instance(live_a)
        .filter(action="ips.rating.set")
        .order_by("-timestamp", "-pk")
        .first()
    )
    assert entry.data["suggestion"]["accepted"] is True
    assert entry.data["suggestion"]["rating"] == rating.rating
    assert entry.data["suggestion"]["reasons"]

    other = "no_effects" if rating.rating != "no_effects" else "promising"
    client.post(
        f"/admin/strategy-ratings/{live_a.pk}/{rating.pk}/?suggested=nonfatal_shootings",
        {
            "outcome": "Non-fatal shootings",
            "metric_code": "nonfatal_shootings",
            "rating": other,
            "reason": "BJA's own reading of the evidence.",
        },
    )
    entry = (
        log_registry.get_logs_for_instance(live_a)
        .filter(action="ips.rating.set")
        .order_by("-timestamp", "-pk")
        .first()
    )
    assert entry.data["after"]["rating"] == other
    assert entry.data["suggestion"]["accepted"] is False


def test_the_public_never_sees_suggestions(client, live_a, site_a):
    from tests.evaluations.analysis_helpers import make_analysis

    make_analysis(site=site_a, design="its_with_comparison", strategy=live_a, title="A ITS")
    assert "Suggested ratings" not in client.get(live_a.url).content.decode()
