"""Personal API tokens: hashed storage, bearer auth, revocation, and the admin pages."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from portal.api_auth import api_token_create, api_token_revoke, api_token_user
from portal.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_is_stored_as_hash_only(contributor_a):
    token, plaintext = api_token_create(user=contributor_a, name="script")
    assert plaintext.startswith("ips_") and len(plaintext) > 30
    assert token.key_prefix == plaintext[:8]
    assert token.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(plaintext not in str(value) for value in row.values())


def test_token_authenticates_and_records_use(contributor_a):
    token, plaintext = api_token_create(user=contributor_a, name="script")
    assert api_token_user(plaintext) == contributor_a
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert api_token_user(plaintext + "x") is None
    assert api_token_user("") is None


def test_revoked_or_inactive_user_token_fails(contributor_a, contributor_b, bja_user):
    token, plaintext = api_token_create(user=contributor_a, name="script")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, by=contributor_b)
    assert api_token_user(plaintext) == contributor_a
    api_token_revoke(token=token, by=bja_user)
    assert api_token_user(plaintext) is None
    other, other_plain = api_token_create(user=contributor_b, name="x")
    contributor_b.is_active = False
    contributor_b.save()
    assert api_token_user(other_plain) is None


def test_bearer_header_on_the_api(client, contributor_a):
    _, plaintext = api_token_create(user=contributor_a, name="script")
    ok = client.get("/api/v1/outcomes/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert ok.status_code == 200
    bad = client.get("/api/v1/outcomes/", HTTP_AUTHORIZATION="Bearer ips_wrong")
    assert bad.status_code == 401


def test_admin_create_shows_plaintext_once_and_lists_prefix(client, contributor_a):
    client.force_login(contributor_a)
    response = client.post(reverse("portal_api_tokens:create"), {"name": "monthly upload"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=contributor_a)
    page = response.content.decode()
    assert "shown only once" in page
    plaintext = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert api_token_user(plaintext) == contributor_a
    listing = client.get(reverse("portal_api_tokens:index")).content.decode()
    assert token.key_prefix in listing and plaintext not in listing


def test_admin_revoke_own_and_not_others(client, contributor_a, contributor_b, bja_user):
    mine, _ = api_token_create(user=contributor_a, name="mine")
    theirs, _ = api_token_create(user=contributor_b, name="theirs")
    client.force_login(contributor_a)
    assert "theirs" not in client.get(reverse("portal_api_tokens:index")).content.decode()
    response = client.post(reverse("portal_api_tokens:revoke", args=[theirs.pk]))
    assert response.status_code == 404
    client.post(reverse("portal_api_tokens:revoke", args=[mine.pk]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    client.force_login(bja_user)
    assert "theirs" in client.get(reverse("portal_api_tokens:index")).content.decode()
    client.post(reverse("portal_api_tokens:revoke", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None
