"""Reading settings from the environment.

Kept apart from ``base.py`` so the parsing rules (and their error messages) can be tested
without importing a whole settings module.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql", "postgis")

# Seconds a SQLite connection waits for another process's write lock before giving up with
# "database is locked". The web server and the task worker share one file under `make run`.
SQLITE_BUSY_TIMEOUT_SECONDS = 20


def sqlite_options() -> dict:
    """``OPTIONS`` for every SQLite connection: write-ahead logging, so readers never wait for
    a writer and a writer never waits for readers; a busy timeout, so two writers (a request
    and the task worker) queue for the lock instead of failing; and ``IMMEDIATE``
    transactions, so a transaction takes the write lock when it starts rather than failing
    when a read turns into a write. ``synchronous=NORMAL`` is the setting SQLite recommends
    with WAL (durable across application crashes; the last commits can be lost only if the
    machine itself loses power)."""
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything other than a clear true/false value is refused."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value; use 1/0, true/false or yes/no."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str | None, *, default_sqlite: Path) -> dict:
    """Turn ``DATABASE_URL`` into a Django ``DATABASES['default']`` entry.

    A malformed or unsupported URL stops start-up with one sentence that names the variable
    and shows valid examples, instead of a traceback from deep inside the database layer.
    """
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite),
            "OPTIONS": sqlite_options(),
        }
    examples = (
        "Examples: postgres://postgres@127.0.0.1:5432/ips or sqlite:////absolute/path/db.sqlite3"
    )
    scheme = urlsplit(url).scheme.lower()
    if not scheme or "://" not in url:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} is not a database URL. {examples}")
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses the scheme {scheme!r}, which this portal does not support; "
            f"use PostgreSQL or SQLite. {examples}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} could not be read ({exc}). {examples}"
        ) from exc
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} names no database (the path after the host). {examples}"
        )
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = sqlite_options()
        config.pop("CONN_HEALTH_CHECKS", None)
        config["CONN_MAX_AGE"] = 0
    return config


def elasticsearch_url(raw: str | None) -> str | None:
    """Validate ``ELASTICSEARCH_URL``; unset or blank means the database search backend."""
    if raw is None or not raw.strip():
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"ELASTICSEARCH_URL={raw!r} is not an http(s) URL; "
            "use for example http://127.0.0.1:9200 or leave it unset to search the database."
        )
    return raw.strip()


def cache_from_url(raw: str | None) -> dict:
    """``CACHES['default']`` from ``REDIS_URL``: Django's Redis backend when it is set, this
    process's local memory when it is unset or blank."""
    if raw is None or not raw.strip():
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ips-portal",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    url = raw.strip()
    if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL={raw!r} is not a Redis URL; use for example redis://127.0.0.1:6379/0 "
            "or leave it unset to cache in each process's memory."
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        # Several portals (or a bench beside a developer's server) may share one Redis.
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ips"),
    }
