from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the container healthcheck: the process answers and the database does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "detail": type(exc).__name__}, status=503)


# Under MEDIA_ROOT, files that only their own serve views may hand out: Wagtail documents go
# through /documents/<id>/<name>, which checks the collection and the pages using them.
PRIVATE_MEDIA_PREFIXES = ("documents/",)


def debug_media(request: HttpRequest, path: str):
    """The development server's /media/ (DEBUG only): public files, never raw documents."""
    import posixpath

    from django.conf import settings
    from django.http import Http404
    from django.views.static import serve

    # The same normalisation serve() applies, so "images/../documents/x" is caught too.
    normalised = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    if normalised.lower().startswith(PRIVATE_MEDIA_PREFIXES):
        raise Http404("Documents are served from /documents/.")
    return serve(request, normalised, document_root=settings.MEDIA_ROOT)
