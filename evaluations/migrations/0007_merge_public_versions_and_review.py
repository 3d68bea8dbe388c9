from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0005_public_analysis_versions"),
        ("evaluations", "0006_merge_batch_state_and_analysis_versions"),
    ]

    operations = []
