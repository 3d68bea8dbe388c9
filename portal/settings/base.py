"""Settings shared by every environment; each value that differs per deployment comes from
the environment (see ``env.py``), with safe development defaults."""

from __future__ import annotations

import datetime
import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE

from portal.settings.env import (
    cache_from_url,
    database_from_url,
    elasticsearch_url,
    env_bool,
    env_list,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_DIR = BASE_DIR / "portal"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",
    "strategies",
    "evaluations",
    "search",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in responses are private, no-store, whatever answers them further in.
    "portal.page_cache.SignedInResponsesPrivateMiddleware",
    "portal.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.AdminContentSecurityPolicyMiddleware",
    "portal.middleware.AdminObjectScopeMiddleware",
    # After authentication, messages and CSP: it needs the user and fills in the nonce.
    "portal.page_cache.PublicPageCacheMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "csp.context_processors.nonce",
                "portal.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL"), default_sqlite=BASE_DIR / "db.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set (shared by every worker), else per-process memory ----
CACHES = {"default": cache_from_url(os.environ.get("REDIS_URL"))}
# Anonymous public pages are kept this long at most (0 turns the page cache off); publication
# and withdrawal invalidate them at once (portal.page_cache.public_pages_invalidate).
PORTAL_PAGE_CACHE_SECONDS = int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "600"))
PORTAL_PAGE_CACHE_EXCLUDED_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/documents/",
    "/healthz",
    "/static/",
    "/media/",
    "/api/v1/docs",
    "/api/v1/openapi.json",
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Files that must never have a public URL (raw outcome uploads); nothing serves this folder.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "private_media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Sign-in protection --------------------------------------------------------------------
# django-axes counts failed sign-ins; after AXES_FAILURE_LIMIT failures for the same user name
# from the same address, that pair is locked out for AXES_COOLOFF_TIME (a timedelta).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/lockout.html"
# Idle timeout (portal.middleware.IdleSessionTimeoutMiddleware): signed out after this many
# seconds without a request (default 30 minutes); activity is recorded once a minute.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_ACTIVITY_RESOLUTION = 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT

LOGIN_URL = "wagtailadmin_login"
LOGIN_REDIRECT_URL = "wagtailadmin_home"

# --- Wagtail -------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Smart Prosecution: Innovative Prosecution Solutions"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from gravatar.com: the portal loads nothing from other origins (and CSP forbids it).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_COMMENTS_ENABLED = True

# --- Portal search (the cross-jurisdiction index, not Wagtail's admin search) ---------------
ELASTICSEARCH_URL = elasticsearch_url(os.environ.get("ELASTICSEARCH_URL"))
ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "ips")
PORTAL_SEARCH_BACKEND = (
    "search.backends.elasticsearch" if ELASTICSEARCH_URL else "search.backends.database"
)
# Seconds to wait for Elasticsearch before a query falls back to the database, retries per
# request, and how long to skip a server that failed before trying it again.
ELASTICSEARCH_TIMEOUT = float(os.environ.get("ELASTICSEARCH_TIMEOUT", "5"))
ELASTICSEARCH_MAX_RETRIES = int(os.environ.get("ELASTICSEARCH_MAX_RETRIES", "1"))
ELASTICSEARCH_RETRY_AFTER = float(os.environ.get("ELASTICSEARCH_RETRY_AFTER", "30"))
# Make each write visible to searches before returning ("wait_for"); off by default because
# the index refreshes every second anyway.
ELASTICSEARCH_REFRESH = os.environ.get("ELASTICSEARCH_REFRESH", "") or False

# --- Background tasks ----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Staff are warned on the admin dashboard (and pages waiting on background work say so) when
# no worker has recorded a heartbeat for this long (portal/worker.py).
PORTAL_WORKER_MISSING_SECONDS = int(os.environ.get("PORTAL_WORKER_MISSING_SECONDS", "180"))

# --- Outcome data --------------------------------------------------------------------------
# Public views show counts from 1 to this value minus one as "<10" (see DOMAIN: privacy).
PORTAL_SMALL_COUNT_THRESHOLD = int(os.environ.get("PORTAL_SMALL_COUNT_THRESHOLD", "10"))
# How public outputs protect those counts (portal/disclosure.py, docs/privacy.md).
PORTAL_DISCLOSURE = {
    "SECONDARY_SUPPRESSION": True,
    "SUPPRESSED_MARKER": "suppressed",
    "RELATIONS": ("breakdown", "period", "area"),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Upload limits, checked before a file is read in full (docs/uploading-outcome-data.md).
PORTAL_UPLOAD_MAX_BYTES = int(os.environ.get("PORTAL_UPLOAD_MAX_BYTES", 50 * 1024 * 1024))
PORTAL_UPLOAD_MAX_COLUMNS = int(os.environ.get("PORTAL_UPLOAD_MAX_COLUMNS", "50"))
PORTAL_UPLOAD_MAX_HEADER_CHARS = int(os.environ.get("PORTAL_UPLOAD_MAX_HEADER_CHARS", "4000"))
PORTAL_UPLOAD_MAX_CELL_CHARS = int(os.environ.get("PORTAL_UPLOAD_MAX_CELL_CHARS", "2000"))
PORTAL_UPLOAD_MAX_ROWS = int(os.environ.get("PORTAL_UPLOAD_MAX_ROWS", "1000000"))
PORTAL_UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("PORTAL_UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024)
)
PORTAL_UPLOAD_JSON_MAX_DEPTH = 3  # a list of row objects inside {"rows": [...]}
PORTAL_UPLOAD_MAX_VALUE = float(os.environ.get("PORTAL_UPLOAD_MAX_VALUE", "1e12"))
# Plausible periods: earlier or later dates are typos or placeholders (0001-01-01, 9999-12-31).
PORTAL_UPLOAD_EARLIEST_DATE = datetime.date.fromisoformat(
    os.environ.get("PORTAL_UPLOAD_EARLIEST_DATE", "1990-01-01")
)
PORTAL_UPLOAD_LATEST_DATE = datetime.date.fromisoformat(
    os.environ.get("PORTAL_UPLOAD_LATEST_DATE", f"{datetime.date.today().year + 2}-12-31")
)
# A running upload whose progress has not moved for this long lost its worker; it is offered
# a retry.
PORTAL_UPLOAD_STALLED_SECONDS = int(os.environ.get("PORTAL_UPLOAD_STALLED_SECONDS", "600"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Security headers that hold in every environment ---------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # Wagtail's admin reads the CSRF token from the cookie.

# Content Security Policy (django-csp 4). Everything is served from 'self'; the Wagtail admin
# needs inline styles and scripts, so its pages get a relaxed policy in portal.middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
PORTAL_ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/", "/api/v1/docs")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "elasticsearch": {"level": "WARNING"},
        "elastic_transport": {"level": "WARNING"},
    },
}
