"""The portal's JSON API under /api/v1/ (django-ninja), with an OpenAPI schema at
/api/v1/openapi.json and interactive docs at /api/v1/docs.

Each domain app contributes a ``router`` in its ``api`` module (and optionally
``ROUTER_PREFIX``); this module finds them through ``portal.registry`` and only mounts them.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import ValidationError

from portal.registry import portal_app_modules

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
    for module in portal_app_modules("api"):
        if module.__name__ == __name__:
            continue
        api.add_router(getattr(module, "ROUTER_PREFIX", ""), module.router)


_mount_domain_routers()
