"""Settings come from the environment, and configuration mistakes fail with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings.env import database_from_url, elasticsearch_url, env_bool

ROOT = Path(__file__).resolve().parents[2]
SQLITE_DEFAULT = Path("/tmp/default.sqlite3")


def _run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what the test sets reaches the child; e.g. the browser fixture's async flag must not.
    ignored = {"DATABASE_URL", "ELASTICSEARCH_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_database_url_unset_means_sqlite_file_in_project():
    config = database_from_url(None, default_sqlite=SQLITE_DEFAULT)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(SQLITE_DEFAULT)


def test_database_url_postgres_is_parsed():
    config = database_from_url(
        "postgres://ips:secret@db.internal:5433/portal", default_sqlite=SQLITE_DEFAULT
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "portal")
    assert (config["USER"], config["PASSWORD"]) == ("ips", "secret")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://root@localhost/ips", "scheme 'mysql'"),
        ("not a url", "is not a database URL"),
        ("postgres://postgres@127.0.0.1:5432", "names no database"),
    ],
)
def test_wrong_database_url_raises_clear_error(url, fragment):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL") as info:
        database_from_url(url, default_sqlite=SQLITE_DEFAULT)
    assert fragment in str(info.value)


def test_wrong_database_url_stops_manage_py_with_one_line_not_a_traceback():
    result = _run_manage("check", DATABASE_URL="mysql://root@localhost/ips")
    assert result.returncode == 2
    assert "Configuration error: DATABASE_URL uses the scheme 'mysql'" in result.stderr
    assert "Traceback" not in result.stderr


def test_elasticsearch_url_selects_backend_in_settings():
    code = "from django.conf import settings; print(settings.PORTAL_SEARCH_BACKEND)"
    with_es = _run_manage("shell", "--no-imports", "-c", code, ELASTICSEARCH_URL="http://x:9200")
    without = _run_manage("shell", "--no-imports", "-c", code)
    assert with_es.stdout.strip() == "search.backends.elasticsearch", with_es.stderr
    assert without.stdout.strip() == "search.backends.database", without.stderr


def test_database_url_is_read_by_settings():
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = _run_manage(
        "shell", "--no-imports", "-c", code, DATABASE_URL="sqlite:////tmp/ips-settings-test.db"
    )
    assert result.stdout.strip() == "/tmp/ips-settings-test.db", result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), ("", None), ("http://search:9200", "http://search:9200")]
)
def test_elasticsearch_url_parsing(raw, expected):
    assert elasticsearch_url(raw) == expected


def test_elasticsearch_url_must_be_http():
    with pytest.raises(ImproperlyConfigured, match="ELASTICSEARCH_URL"):
        elasticsearch_url("search:9200")


def test_env_bool_refuses_ambiguous_values(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "k" * 20 + "production-grade-random-secret-for-tests-0123456789",
    "ALLOWED_HOSTS": "ips.example.gov",
    "REDIS_URL": "redis://cache:6379/0",  # as in the compose stack (not contacted by checks)
}


def test_check_deploy_is_clean_in_production_settings():
    result = _run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": "dev-only-insecure-key-never-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_real_secrets(override, message):
    result = _run_manage("check", **{**PRODUCTION_ENV, **override})
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
