from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0004_grantee_site_media_collection'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkerHeartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('worker_id', models.CharField(max_length=64, unique=True)),
                ('hostname', models.CharField(blank=True, max_length=255)),
                ('pid', models.PositiveIntegerField(default=0)),
                ('started_at', models.DateTimeField()),
                ('last_seen_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'ordering': ['-last_seen_at'],
            },
        ),
    ]
