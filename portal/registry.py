"""Lets each domain app contribute a part (demo data, role permissions) without the base app
importing it by name: the app ships a module with an agreed name and this finds it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps

PORTAL_APPS = ("portal", "strategies", "evaluations", "search")


def portal_app_modules(module_name: str) -> Iterator[ModuleType]:
    """Yield ``<app>.<module_name>`` for each portal app that has one, in dependency order."""
    for label in PORTAL_APPS:
        if not apps.is_installed(label):
            continue
        try:
            yield importlib.import_module(f"{label}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.{module_name}":
                raise
