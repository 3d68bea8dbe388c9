"""Sign-in protection: lockout after repeated failures, long passwords, idle sessions."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import TEST_PASSWORD, UserFactory

LOGIN_URL = "/admin/login/"


def _sign_in(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_repeated_failures_lock_the_user_out_even_with_the_right_password(client):
    user = UserFactory(username="harlow-analyst")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = _sign_in(client, user.username, "wrong-password-1234")
        assert response.status_code == 200  # the login form again, with its error
    locked = _sign_in(client, user.username, "wrong-password-1234")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # The right password no longer works from that address...
    after = _sign_in(client, user.username, TEST_PASSWORD)
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...but the lockout is per user and address: another address still signs in.
    other = _sign_in(client, user.username, TEST_PASSWORD, ip="198.51.100.9")
    assert other.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client):
    user = UserFactory(username="meridian-analyst")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "nope-nope-nope")
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 302
    client.logout()
    assert _sign_in(client, user.username, "nope-nope-nope").status_code == 200


def test_passwords_need_twelve_characters():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tr0ub4dor&3")
    validate_password("long-enough-passphrase")


@pytest.mark.django_db
def test_an_idle_session_is_signed_out(client):
    from portal.middleware import LAST_SEEN_KEY

    user = UserFactory(username="idle", is_superuser=True)
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    session = client.session
    assert session.get_expiry_age() == settings.SESSION_IDLE_TIMEOUT <= 60 * 60
    # Active a moment ago: still signed in.
    session[LAST_SEEN_KEY] -= settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    assert client.get("/admin/").status_code == 200
    # Idle for longer than the timeout: signed out, back to the sign-in page.
    session = client.session
    session[LAST_SEEN_KEY] -= settings.SESSION_IDLE_TIMEOUT + 1
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session
