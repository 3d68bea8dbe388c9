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

# Analyses: landing list, result pages and their downloads, cross-site comparison.
from evaluations.analyses import views as analysis_views  # noqa: E402

urlpatterns += [
    path("evaluations/", analysis_views.analyses_landing, name="evaluations_landing"),
    path("evaluations/analyses/<id:pk>/", analysis_views.analysis_detail, name="analysis_detail"),
    path(
        "evaluations/analyses/<id:pk>/data.csv",
        analysis_views.analysis_data_csv,
        name="analysis_data_csv",
    ),
    path(
        "evaluations/analyses/<id:pk>/chart-<slug:slug>.csv",
        analysis_views.analysis_chart_csv,
        name="analysis_chart_csv",
    ),
    path(
        "evaluations/analyses/<id:pk>/chart-<slug:slug>.svg",
        analysis_views.analysis_chart_image,
        {"fmt": "svg"},
        name="analysis_chart_svg",
    ),
    path(
        "evaluations/analyses/<id:pk>/chart-<slug:slug>.png",
        analysis_views.analysis_chart_image,
        {"fmt": "png"},
        name="analysis_chart_png",
    ),
    path("compare/", analysis_views.compare, name="compare"),
]

# Synthesis: office profiles, the evidence gap map and BJA's program dashboard.
from evaluations.synthesis import views as synthesis_views  # noqa: E402

urlpatterns += [
    path("sites/", synthesis_views.site_list, name="site_list"),
    path("sites/<slug:slug>/", synthesis_views.site_detail, name="site_detail"),
    path("evidence-map/", synthesis_views.evidence_map_view, name="evidence_map"),
    path("dashboard/", synthesis_views.program_dashboard, name="program_dashboard"),
]
