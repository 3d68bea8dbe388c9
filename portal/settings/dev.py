"""Development settings: the default for ``manage.py``. SQLite unless DATABASE_URL says
otherwise; a fixed, obviously unsafe secret key that production refuses."""

import os

from portal.settings.base import *  # noqa: F403
from portal.settings.env import env_bool, env_list

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the app folders in development; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# ``make run`` runs the web server and the task worker as two processes. Without Redis they
# share a file cache, so what the worker clears (cached public pages after a re-index, a
# withdrawal or a re-run) is cleared for the web server too; per-process memory would keep
# serving the old pages until they expired.
if not os.environ.get("REDIS_URL", "").strip():
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("PORTAL_CACHE_DIR") or str(BASE_DIR / ".cache" / "django"),  # noqa: F405
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
