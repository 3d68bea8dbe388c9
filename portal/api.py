"""The portal's JSON API under /api/v1/ (django-ninja), with an OpenAPI schema at
/api/v1/openapi.json and interactive docs at /api/v1/docs.

Each domain app contributes a ``router`` in its ``api`` module (and optionally
``ROUTER_PREFIX``); this module only mounts them.
"""

from __future__ import annotations

import importlib

from ninja import NinjaAPI
from ninja.errors import ValidationError

DOMAIN_API_MODULES = ("strategies.api", "evaluations.api", "search.api")

api = NinjaAPI(
    title="IPS portal API",
    version="1",
    description=(
        "Outcome data, analyses and search for the Smart Prosecution: Innovative Prosecution "
        "Solutions community. Authenticate with a personal API token: "
        "`Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def _invalid_parameters(request, exc: ValidationError):
    """Malformed or out-of-range parameters are the caller's mistake: 400, with each
    problem's location, message and (for ranges and choices) the allowed values."""
    return api.create_response(request, {"detail": exc.errors}, status=400)


def _mount_domain_routers() -> None:
    for name in DOMAIN_API_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        api.add_router(getattr(module, "ROUTER_PREFIX", ""), module.router)


_mount_domain_routers()
