"""Wagtail's bulk page actions that the user may do on none of the chosen pages are refused
with an error message, not reported as "0 pages have been published"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests import factories

pytestmark = pytest.mark.django_db


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m).strip()) for m in get_messages(response.wsgi_request)]


def test_a_contributor_cannot_bulk_publish_their_own_draft(
    client, strategy_index, site_a, contributor_a
):
    draft = factories.strategy_page_for(
        site_a, parent=strategy_index, title="Alpha draft", publish=False, owner=contributor_a
    )
    client.force_login(contributor_a)
    url = f"/admin/bulk/wagtailcore/page/publish/?id={draft.pk}"
    assert client.get(url).status_code == 200  # the confirmation lists what they may not do

    response = client.post(url)

    assert response.status_code == 302
    assert _messages(response) == [
        ("error", "You may not publish any of the selected items, so nothing was changed.")
    ]
    draft.refresh_from_db()
    assert not draft.live


def test_a_contributor_cannot_bulk_unpublish_their_live_strategy(
    client, strategy_index, site_a, contributor_a
):
    live = factories.strategy_page_for(site_a, parent=strategy_index, title="Alpha live")
    client.force_login(contributor_a)

    response = client.post(f"/admin/bulk/wagtailcore/page/unpublish/?id={live.pk}")

    assert [level for level, _ in _messages(response)] == ["error"]
    live.refresh_from_db()
    assert live.live


def test_bja_staff_bulk_publish_as_before(client, strategy_index, site_a, bja_user):
    draft = factories.strategy_page_for(
        site_a, parent=strategy_index, title="Alpha draft", publish=False
    )
    client.force_login(bja_user)

    response = client.post(f"/admin/bulk/wagtailcore/page/publish/?id={draft.pk}")

    assert _messages(response) == [("success", "1 page has been published")]
    draft.refresh_from_db()
    assert draft.live
