"""Where strategy pages may be created, and the index's place at /strategies/."""

from __future__ import annotations

import pytest
from wagtail.models import Page

from portal.models import HomePage
from strategies.models import StrategyIndexPage, StrategyPage
from tests import factories

pytestmark = pytest.mark.django_db


def test_index_lives_only_under_the_home_page(home_page):
    assert StrategyIndexPage.can_create_at(home_page)
    assert not StrategyIndexPage.can_create_at(Page.get_first_root_node())
    assert StrategyIndexPage.allowed_parent_page_models() == [HomePage]


def test_only_one_index(strategy_index, home_page):
    assert not StrategyIndexPage.can_create_at(home_page)


def test_strategies_live_only_under_the_index(strategy_index, home_page):
    assert StrategyPage.can_create_at(strategy_index)
    assert not StrategyPage.can_create_at(home_page)
    assert StrategyIndexPage.allowed_subpage_models() == [StrategyPage]
    assert StrategyPage.allowed_subpage_models() == []


def test_index_is_served_at_strategies(client, strategy_index):
    assert strategy_index.url == "/strategies/"
    response = client.get("/strategies/")
    assert response.status_code == 200
    assert "<h1>Strategies</h1>" in response.content.decode()


def test_index_ensure_is_idempotent(strategy_index, home_page):
    from strategies.services import strategy_index_ensure

    assert strategy_index_ensure(home_page).pk == strategy_index.pk
    assert StrategyIndexPage.objects.count() == 1


def test_seeded_strategy_types(db):
    from strategies.models import StrategyType

    names = set(StrategyType.objects.values_list("name", flat=True))
    assert {
        "Violent repeat offender identification",
        "Zone / geographic prosecution",
        "Gun violence crime analysis (GunStat)",
        "Witness intimidation",
        "Probation and parole violations",
        "Homicide investigations",
        "Cybercrime",
        "Community prosecution",
        "Intelligence-driven prosecution",
    } <= names
    assert all(StrategyType.objects.values_list("description", flat=True))


def test_bja_staff_manage_strategy_types_and_contributors_do_not(
    client, roles, bja_user, contributor_a
):
    client.force_login(bja_user)
    assert client.get("/admin/snippets/strategies/strategytype/add/").status_code == 200
    client.force_login(contributor_a)
    response = client.get("/admin/snippets/strategies/strategytype/add/")
    assert response.status_code in (302, 403)


def test_index_created_in_the_admin_gets_moderation(client, home_page, roles):
    from wagtail.models import GroupPagePermission, WorkflowPage
    from wagtail.test.utils.form_data import querydict_from_html

    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = f"/admin/pages/add/strategies/strategyindexpage/{home_page.pk}/"
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data.update({"title": "Strategies", "slug": "strategies", "action-publish": "1"})
    client.post(url, data)
    index_page = StrategyIndexPage.objects.get()
    assert index_page.live
    assert WorkflowPage.objects.get(page=index_page).workflow.name == "BJA review"
    granted = set(
        GroupPagePermission.objects.filter(page=index_page).values_list(
            "group__name", "permission__codename"
        )
    )
    assert ("Site contributor", "add_page") in granted
    assert ("BJA staff", "publish_page") in granted
    assert ("Site contributor", "publish_page") not in granted
