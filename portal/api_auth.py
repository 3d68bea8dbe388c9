"""Personal API tokens: creating, revoking and checking them, and the API's auth classes.

A token is ``ips_`` followed by 40 random URL-safe characters. Only its SHA-256 is stored;
the plaintext is returned once, at creation. ``API_AUTH`` accepts a bearer token or the
browser's Django session (with CSRF), so the same endpoints serve scripts and the site.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from portal.audit import audit_record
from portal.models import ApiToken
from portal.roles import user_is_bja_staff

TOKEN_PREFIX = "ips_"


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plaintext (show it once)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_prefix=plaintext[:8], key_hash=token_hash(plaintext)
    )
    audit_record(
        instance=token,
        action="ips.token.create",
        user=user,
        changes={"owner": user.get_username(), "name": token.name, "prefix": token.key_prefix},
    )
    return token, plaintext


def api_token_revoke(*, token: ApiToken, by: AbstractBaseUser | AnonymousUser) -> ApiToken:
    """Revoke a token: its owner may, and BJA staff or superusers may revoke anyone's."""
    if not (by.is_authenticated and (token.user_id == by.pk or user_is_bja_staff(by))):
        raise PermissionDenied("You may only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            instance=token,
            action="ips.token.revoke",
            user=by,
            changes={"owner_id": token.user_id, "prefix": token.key_prefix},
        )
    return token


def api_tokens_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ApiToken]:
    """Tokens a user manages: their own, or everyone's for BJA staff."""
    queryset = ApiToken.objects.select_related("user")
    if user_is_bja_staff(user):
        return queryset
    return queryset.filter(user=user) if user.is_authenticated else queryset.none()


def api_token_user(plaintext: str) -> AbstractBaseUser | None:
    """The active user a live token belongs to, or None; records the time of use."""
    if not plaintext:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ips_…``; sets ``request.user`` to the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), django_auth]
