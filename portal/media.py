"""Who may see an image's files (original and renditions) under /media/.

Wagtail writes image originals to ``original_images/`` and renditions to ``images/`` under
MEDIA_ROOT, and links them as /media/<path>. Nothing serves that folder raw: /media/ is the
``media_serve`` view (``portal.views``), in development and production alike, and it hands
out a file only when ``image_visible_to`` allows the image it belongs to. Documents are never
served here; they go through /documents/<id>/<name>, which checks them the same way.

An image is visible to everyone when it is in a public collection (one that is no grantee
site's own, such as BJA's root collection, and has no view restriction) or when a live,
public page shows it; otherwise only to users with a permission on its collection (the
site's members, BJA staff, superusers). Which pages "show" an image is for the apps that own
page types to say: they register a function under the Wagtail hook ``IMAGE_ON_LIVE_PAGE_HOOK``
taking the image and returning True when one of their live pages shows it.
"""

from __future__ import annotations

import posixpath

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from wagtail import hooks

IMAGE_ON_LIVE_PAGE_HOOK = "portal_image_on_live_page"
ORIGINALS_PREFIX = "original_images/"
RENDITIONS_PREFIX = "images/"


def media_path_normalise(path: str) -> str:
    """The path as the file system would resolve it ("images/../x" is "x"), no leading /."""
    return posixpath.normpath(path.replace("\\", "/")).lstrip("/")


def image_for_media_path(path: str):
    """``(image, file)`` for an original or rendition stored at ``path`` (relative to
    MEDIA_ROOT), or ``(None, None)`` when no image owns that exact file."""
    from wagtail.images import get_image_model

    image_model = get_image_model()
    if path.startswith(ORIGINALS_PREFIX):
        image = image_model.objects.filter(file=path).first()
        return (image, image.file) if image else (None, None)
    if path.startswith(RENDITIONS_PREFIX):
        rendition = (
            image_model.get_rendition_model()
            .objects.filter(file=path)
            .select_related("image")
            .first()
        )
        return (rendition.image, rendition.file) if rendition else (None, None)
    return None, None


def collection_is_public(collection) -> bool:
    """True for a collection that belongs to no grantee site (nor lies inside one) and has no
    view restriction: BJA's shared images."""
    from wagtail.models import CollectionViewRestriction

    from portal.models import GranteeSite

    lineage = collection.get_ancestors(inclusive=True)
    if GranteeSite.objects.filter(media_collection__in=lineage).exists():
        return False
    return not CollectionViewRestriction.objects.filter(collection__in=lineage).exists()


def image_on_a_live_page(image) -> bool:
    """True when a function registered under ``IMAGE_ON_LIVE_PAGE_HOOK`` says a live page
    shows ``image``."""
    return any(check(image) for check in hooks.get_hooks(IMAGE_ON_LIVE_PAGE_HOOK))


def image_visible_to(user: AbstractBaseUser | AnonymousUser, image) -> bool:
    """Whether ``user`` may load ``image``'s original and renditions (see the module doc)."""
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(type(image))
    if user.is_authenticated and policy.user_has_any_permission_for_instance(
        user, ["choose", "change", "add"], image
    ):
        return True
    return image_public(image)


def image_public(image) -> bool:
    """Whether anyone, signed in or not, may load ``image``'s files."""
    return collection_is_public(image.collection) or image_on_a_live_page(image)
