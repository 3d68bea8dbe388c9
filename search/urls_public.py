"""/search/ and its type-ahead endpoint (mounted before Wagtail's catch-all)."""

from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
]
