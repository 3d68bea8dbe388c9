from django.db import migrations


def recount_months(apps, schema_editor):
    """Runs on quarterly or yearly data counted one month per period; recount the calendar
    months each period covers (eight quarters are 24 months) so lists word them right."""
    from evaluations.analyses.presentation import months_around_start

    AnalysisResult = apps.get_model("evaluations", "AnalysisResult")
    runs = AnalysisResult.objects.select_related("analysis").exclude(data=[])
    for run in runs.iterator(chunk_size=200):
        before, after = months_around_start(run.analysis.intervention_date, run.data or [])
        if (before, after) != (run.months_before, run.months_after):
            AnalysisResult.objects.filter(pk=run.pk).update(
                months_before=before, months_after=after
            )


class Migration(migrations.Migration):

    dependencies = [
        ("evaluations", "0010_merge_result_months_and_rollback_history"),
    ]

    operations = [
        migrations.RunPython(recount_months, migrations.RunPython.noop),
    ]
