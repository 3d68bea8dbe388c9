"""Test settings: fast hashing, tasks run in-process unless a test asks for the real worker,
and SQLite in a temporary file unless DATABASE_URL points at PostgreSQL."""

import os
import tempfile
from pathlib import Path

from portal.settings.dev import *  # noqa: F403
from portal.settings.env import cache_from_url

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A file, not memory, so a test can start a real worker process (``manage.py db_worker``)
# on the same test database; Django deletes it when the run ends.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="ips-test-db-")) / "test.sqlite3")
    }
ALLOWED_HOSTS = ["*"]
# Each test run keeps its cache in memory (a file cache would outlive the run); tests that need
# a shared cache start Redis-backed settings of their own.
if not os.environ.get("REDIS_URL", "").strip():
    CACHES = {"default": cache_from_url(None)}
else:
    # A shared Redis: this run's keys get a prefix of their own, and tests empty the cache
    # by that prefix (tests.cache_helpers), never with FLUSHDB.
    CACHES["default"]["KEY_PREFIX"] = f"ips-test-{os.getpid()}"  # noqa: F405
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"

# Uploaded documents and images from tests (and demo data loaded by tests) go to a throwaway
# folder, never the developer's media/.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ips-test-media-"))
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ips-test-private-"))
# The anonymous page cache stays off so tests that change data between requests see it;
# tests of the cache turn it on with override_settings.
PORTAL_PAGE_CACHE_SECONDS = 0

# Django would put an SQLite test database in shared-cache memory, where two threads touching
# one table fail at once with "database table is locked" (the live server answers a browser's
# overlapping requests on several threads). A file in WAL mode lets readers and the writer
# overlap, and the busy timeout makes writers wait for each other instead of failing.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="ips-test-db-")) / "test.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (  # noqa: F405
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
