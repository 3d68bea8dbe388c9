import mimetypes

from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache

from portal.media import image_for_media_path, image_public, image_visible_to, media_path_normalise

# How long browsers and proxies may keep a public image (a withdrawn page's image may be
# seen from a cache for this long).
MEDIA_PUBLIC_MAX_AGE = 600


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the container healthcheck: the process answers and the database does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "detail": type(exc).__name__}, status=503)


def media_serve(request: HttpRequest, path: str) -> FileResponse:
    """/media/<path>: an image original or rendition, if ``image_visible_to`` allows it.

    Everything else under MEDIA_ROOT (documents, stray files) answers 404: documents go
    through /documents/<id>/<name>. 404 also for an image the user may not see, so the
    answer does not confirm it exists. Files only the user's permission opens are not kept
    in shared caches.
    """
    image, file = image_for_media_path(media_path_normalise(path))
    if image is None or not image_visible_to(request.user, image):
        raise Http404("No such file.")
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # An image file is never a page: nothing in it may run, and browsers must not guess.
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    if image_public(image):
        patch_cache_control(response, public=True, max_age=MEDIA_PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response
