from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0005_thread_pinned_index'), ('members', '0001_initial'), ('members', '0002_profiles_audit')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='Post',
            index=Index(fields=['author_id', 'created_at']),
        ),
    ]
