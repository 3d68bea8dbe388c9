"""Images stay with their site until a live page shows them: originals and renditions are
served through /media/'s checks (never the folder raw), and the image chooser lists only the
user's own collections."""

from __future__ import annotations

import pytest
from wagtail.models import Collection

from tests import factories

pytestmark = pytest.mark.django_db


def _show(page, image) -> None:
    page.body = [
        {"type": "problem", "value": "<p>The problem.</p>"},
        {"type": "figure", "value": {"image": image.pk, "alt_text": "A map", "caption": ""}},
    ]
    page.save()


@pytest.fixture
def draft_b_with_image(strategy_index, site_b, contributor_b, media_tmp):
    site_b.refresh_from_db()
    image = factories.image_in(site_b.media_collection, "Bravo zone map")
    page = factories.strategy_page_for(
        site_b, parent=strategy_index, title="Bravo draft zone plan", publish=False
    )
    _show(page, image)
    return page, image


def _urls(image) -> dict[str, str]:
    rendition = image.get_rendition("max-20x20")
    return {"original": image.file.url, "rendition": rendition.url}


def test_image_files_have_media_urls_under_the_checked_view(draft_b_with_image):
    _page, image = draft_b_with_image
    urls = _urls(image)
    assert urls["original"].startswith("/media/original_images/")
    assert urls["rendition"].startswith("/media/images/")


@pytest.mark.parametrize("kind", ["original", "rendition"])
def test_a_drafts_image_is_served_only_to_its_site_and_bja_until_the_page_is_live(
    client, draft_b_with_image, contributor_a, contributor_b, bja_user, research_user, kind
):
    page, image = draft_b_with_image
    url = _urls(image)[kind]
    assert client.get(url).status_code == 404
    for user, status in (
        (contributor_a, 404),
        (research_user, 404),
        (contributor_b, 200),
        (bja_user, 200),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user.username
    client.force_login(contributor_b)
    response = client.get(url)
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.logout()
    page.save_revision().publish()
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_a_pending_draft_does_not_make_its_new_image_public(
    client, strategy_index, site_b, contributor_b, media_tmp
):
    site_b.refresh_from_db()
    page = factories.strategy_page_for(site_b, parent=strategy_index, title="Bravo live plan")
    image = factories.image_in(site_b.media_collection, "Bravo new chart")
    page.body = [{"type": "figure", "value": {"image": image.pk, "alt_text": "A chart"}}]
    page.save_revision()  # a draft of the live page; not published
    assert client.get(image.file.url).status_code == 404


def test_an_image_in_a_public_collection_is_public(client, site_a, contributor_a, media_tmp):
    root = Collection.get_first_root_node()
    shared = factories.image_in(root, "BJA program logo")
    assert client.get(shared.file.url).status_code == 200
    site_a.refresh_from_db()
    own = factories.image_in(site_a.media_collection, "Alpha unused photo")
    assert client.get(own.file.url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "documents/a-mou.txt",
        "/documents/a-mou.txt",
        "documents//a-mou.txt",
        "images/../documents/a-mou.txt",
        "./documents/a-mou.txt",
        "original_images/stray.png",
        "images/stray.png",
        "outcome_uploads/2024/01/data.csv",
    ],
)
def test_media_never_serves_a_file_no_visible_image_owns(client, media_tmp, bja_user, path):
    """Documents, stray files and anything else on disk under MEDIA_ROOT: 404, even to BJA."""
    for folder, name in (
        ("documents", "a-mou.txt"),
        ("original_images", "stray.png"),
        ("images", "stray.png"),
    ):
        (media_tmp / folder).mkdir(parents=True, exist_ok=True)
        (media_tmp / folder / name).write_bytes(b"secret")
    client.force_login(bja_user)
    assert client.get("/media/" + path.lstrip("/")).status_code == 404


def test_the_image_chooser_and_its_search_list_only_own_sites_images(
    client, draft_b_with_image, site_a, contributor_a, contributor_b
):
    _page, image_b = draft_b_with_image
    site_a.refresh_from_db()
    image_a = factories.image_in(site_a.media_collection, "Alpha zone map")
    for url in ("/admin/images/chooser/", "/admin/images/chooser/results/?q=zone"):
        client.force_login(contributor_a)
        html = client.get(url).content.decode()
        assert image_a.title in html and image_b.title not in html, url
        client.force_login(contributor_b)
        html = client.get(url).content.decode()
        assert image_b.title in html and image_a.title not in html, url
