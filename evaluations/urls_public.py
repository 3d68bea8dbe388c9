"""Public outcome-data routes. /evaluations/ itself belongs to the analyses landing page."""

from django.urls import path

from evaluations import views

urlpatterns = [
    path("evaluations/data/", views.public_data, name="evaluations_data"),
    path(
        "evaluations/data/export.<str:file_format>",
        views.public_data_export,
        name="evaluations_data_export",
    ),
]
