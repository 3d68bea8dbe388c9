"""The production stack cannot be started here (no Docker engine), so check its wiring:
every service the settings expect exists, and web and worker get the variables they read."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_stack_has_database_search_web_and_worker(compose):
    assert {"db", "search", "web", "worker"} <= set(compose["services"])
    assert compose["services"]["db"]["image"].startswith("postgres:16")
    assert compose["services"]["search"]["image"].split(":")[-1].startswith("8.")


def _database_url(env: dict) -> tuple:
    """The parts of a compose DATABASE_URL, its ``${VAR...}`` password read as "pw"."""
    url = urlsplit(re.sub(r"\$\{[^}]*\}", "pw", env["DATABASE_URL"]))
    return url.scheme, url.username, url.hostname, url.path


@pytest.mark.parametrize("service", ["web", "worker"])
def test_app_services_point_at_the_stack(compose, service):
    env = compose["services"][service]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    database = "/" + compose["services"]["db"]["environment"]["POSTGRES_DB"]
    # The app connects as its least-privileged role, never as the tables' owner.
    assert _database_url(env) == ("postgres", "ips_app", "db", database)
    search = urlsplit(env["ELASTICSEARCH_URL"])
    assert (search.hostname, search.port) == ("search", 9200)
    assert "SECRET_KEY" in env and "ALLOWED_HOSTS" in env
    depends = compose["services"][service]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["search"]["condition"] == "service_healthy"


def test_migrations_run_once_as_the_owner_who_grants_the_app_role(compose):
    migrate = compose["services"]["migrate"]
    owner = compose["services"]["db"]["environment"]["POSTGRES_USER"]
    assert _database_url(migrate["environment"])[1:3] == (owner, "db")
    assert "migrate --noinput" in migrate["command"]
    assert "db_app_role ips_app" in migrate["command"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_worker_runs_the_task_worker_and_web_runs_gunicorn(compose):
    assert "db_worker" in compose["services"]["worker"]["command"]
    web = compose["services"]["web"]["command"]
    assert "gunicorn portal.wsgi:application" in web and "migrate" not in web


def test_search_and_db_have_healthchecks_and_named_volumes(compose):
    for name in ("db", "search"):
        assert compose["services"][name]["healthcheck"]["test"]
    assert {"pgdata", "esdata"} <= set(compose["volumes"])
    assert compose["services"]["search"]["environment"]["discovery.type"] == "single-node"


def test_secret_key_is_never_baked_into_compose(compose):
    env = compose["services"]["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_dockerfile_builds_static_from_npm_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "npm ci" in dockerfile and "npm run build" in dockerfile
    assert "collectstatic" in dockerfile
    assert "\nUSER portal" in dockerfile


def test_worker_command_exists():
    from django.core.management import get_commands

    assert "db_worker" in get_commands()


@pytest.mark.parametrize("service", ["web", "worker"])
def test_app_services_share_the_redis_cache(compose, service):
    cache = compose["services"]["cache"]
    assert cache["image"].startswith("redis:")
    assert cache["healthcheck"]["test"]
    assert "allkeys-lru" in cache["command"]
    url = urlsplit(compose["services"][service]["environment"]["REDIS_URL"])
    assert (url.scheme, url.hostname) == ("redis", "cache")
    assert compose["services"][service]["depends_on"]["cache"]["condition"] == "service_healthy"
