from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from portal import views
from portal.api import api
from portal.registry import portal_app_modules

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

# Each domain app may contribute public routes in ``<app>/urls_public.py`` (``urlpatterns``)
# and API routers in ``<app>/api.py`` (``router``), mounted under /api/v1/ by portal.api.
for module in portal_app_modules("urls_public"):
    urlpatterns.append(path("", include(module)))

urlpatterns.append(path("api/v1/", api.urls))

# /media/ is never served raw, in development or production: the view hands out image files
# only to those who may see the image (documents go through /documents/ and its checks).
urlpatterns.append(
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", views.media_serve, name="media")
)

urlpatterns.append(path("", include(wagtail_urls)))
