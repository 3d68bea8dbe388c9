from django.db import migrations, models


def record_months(apps, schema_editor):
    """Existing runs: count the months around the start from the rows each one stored."""
    from evaluations.analyses.presentation import months_around_start

    AnalysisResult = apps.get_model("evaluations", "AnalysisResult")
    runs = AnalysisResult.objects.select_related("analysis").exclude(data=[])
    for run in runs.iterator(chunk_size=200):
        before, after = months_around_start(run.analysis.intervention_date, run.data or [])
        AnalysisResult.objects.filter(pk=run.pk).update(months_before=before, months_after=after)


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0007_merge_public_versions_and_review'),
    ]

    operations = [
        migrations.AddField(
            model_name='analysisresult',
            name='months_before',
            field=models.PositiveIntegerField(default=0, help_text='Months of treatment-area data before the start (0: unknown).'),
        ),
        migrations.AddField(
            model_name='analysisresult',
            name='months_after',
            field=models.PositiveIntegerField(default=0, help_text='Months of treatment-area data from the start month on (0: unknown).'),
        ),
        migrations.RunPython(record_months, migrations.RunPython.noop),
    ]
