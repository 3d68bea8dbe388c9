#!/usr/bin/env python
"""Django's command-line utility; development settings unless DJANGO_SETTINGS_MODULE says."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Configuration mistakes (a wrong DATABASE_URL, a missing SECRET_KEY) get one clear
        # line instead of a traceback from deep inside Django.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
