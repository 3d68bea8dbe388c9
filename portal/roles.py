"""The portal's roles, as Django groups with permissions.

Each portal app may define ``ROLE_PERMISSIONS`` in its ``permissions`` module, mapping a role
name to ``"app_label.codename"`` strings; ``roles_sync`` unions them and makes the groups match
exactly, so removing a permission from code removes it from the group too.
Object-level rules (a contributor acts only for their own sites) live in selectors, not here.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission

from portal.registry import portal_app_modules

SITE_CONTRIBUTOR = "Site contributor"
BJA_STAFF = "BJA staff"
RESEARCH_PARTNER = "Research partner"
ROLES = (SITE_CONTRIBUTOR, BJA_STAFF, RESEARCH_PARTNER)


def role_permissions() -> dict[str, set[str]]:
    """Collect every app's contribution into one role → permission-codes mapping."""
    merged: dict[str, set[str]] = {role: set() for role in ROLES}
    for module in portal_app_modules("permissions"):
        for role, codes in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged.setdefault(role, set()).update(codes)
    return merged


def roles_sync() -> dict[str, int]:
    """Create the role groups and set their permissions to exactly what the code declares.

    Returns the number of permissions per group. Unknown codes raise, so a typo in a
    permissions module fails loudly at migrate time instead of silently granting nothing.
    """
    # post_migrate fires app by app; make sure every app's permissions exist before we look
    # them up, whatever order the handlers run in.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    counts: dict[str, int] = {}
    for role, codes in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for code in sorted(codes):
            app_label, codename = code.split(".", 1)
            try:
                wanted.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except Permission.DoesNotExist as exc:
                raise LookupError(f"Role {role!r} asks for unknown permission {code!r}") from exc
        group.permissions.set(wanted)
        counts[role] = len(wanted)
    return counts


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.groups.filter(name=role).exists()


def user_is_bja_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    """BJA staff and superusers see and manage every site's data."""
    return bool(user.is_authenticated and (user.is_superuser or user_has_role(user, BJA_STAFF)))


def user_is_research_partner(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user_has_role(user, RESEARCH_PARTNER)


def user_sees_all_sites(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Who may read every site's unpublished data: BJA staff and research partners."""
    return user_is_bja_staff(user) or user_is_research_partner(user)
