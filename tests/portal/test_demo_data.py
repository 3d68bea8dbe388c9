"""``load_demo_data`` builds a usable demo and is idempotent."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.demo import DEMO_SITES, DEMO_USERS
from portal.models import GranteeSite, HomePage, Jurisdiction
from portal.registry import PORTAL_APPS

pytestmark = pytest.mark.django_db(transaction=False)


def _row_counts() -> dict[str, int]:
    """Rows in every table the portal and Wagtail's content models own."""
    labels = {*PORTAL_APPS, "wagtailcore", "wagtailimages", "wagtaildocs", "taggit", "auth"}
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in labels
        and not model._meta.proxy
        and model._meta.model_name not in {"pagelogentry", "modellogentry", "revision"}
    }


def test_load_demo_data_twice_leaves_the_same_rows(settings):
    settings.DEBUG = True
    call_command("load_demo_data", verbosity=0)
    first = _row_counts()
    call_command("load_demo_data", verbosity=0)
    assert _row_counts() == first
    assert first["portal.GranteeSite"] >= 8


def test_demo_covers_state_and_tribal_offices_in_several_states(settings):
    call_command("load_demo_data", verbosity=0)
    kinds = set(GranteeSite.objects.values_list("jurisdiction__kind", flat=True))
    assert {Jurisdiction.Kind.STATE, Jurisdiction.Kind.TRIBAL} <= kinds
    assert Jurisdiction.objects.values("state").distinct().count() >= 5
    assert GranteeSite.objects.filter(is_demo=True).count() == len(DEMO_SITES)


def test_each_role_has_a_demo_user_in_the_right_group(settings):
    settings.DEBUG = True
    call_command("load_demo_data", verbosity=0)
    User = get_user_model()
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(spec.password)
        if spec.superuser:
            assert user.is_superuser
        else:
            # The role's group, plus the media group of each site the user belongs to.
            groups = set(user.groups.values_list("name", flat=True))
            assert groups == {spec.role, *(f"Site media: {slug}" for slug in spec.sites)}
            assert set(user.site_memberships.values_list("site__slug", flat=True)) == set(
                spec.sites
            )


def test_demo_passwords_are_printed_only_in_debug(settings, capsys):
    settings.DEBUG = False
    call_command("load_demo_data", verbosity=1)
    out = capsys.readouterr().out
    assert "demo-admin-2026" not in out
    assert not get_user_model().objects.get(username="admin").has_usable_password()


def test_demo_passwords_printed_in_debug(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data", verbosity=1)
    assert "demo-admin-2026" in capsys.readouterr().out


def test_home_page_is_the_site_root(client, settings):
    call_command("load_demo_data", verbosity=0)
    home = HomePage.objects.get()
    assert home.get_site().root_page_id == home.pk
    assert client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_demo_leaves_no_backlog_for_the_worker(settings):
    """The demo runs the work its own changes enqueue (indexing, analysis re-runs) as it goes:
    with the real database queue configured (and real commits, as ``manage.py`` makes them),
    nothing is left waiting for a worker and its analyses are current."""
    from django_tasks_db.models import DBTaskResult

    from evaluations.models import Analysis
    from strategies.models import StrategyPage

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("load_demo_data", verbosity=0)
    assert DBTaskResult.objects.count() == 0
    assert Analysis.objects.filter(is_published=True).count() >= 3
    assert set(Analysis.objects.values_list("status", flat=True)) == {"succeeded"}
    # the demo's later edits reach the queue as usual once the command is over
    strategy = StrategyPage.objects.live().first()
    strategy.save_revision().publish()
    assert DBTaskResult.objects.ready().exists()
