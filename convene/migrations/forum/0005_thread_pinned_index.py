from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0004_membership_user_index'), ('members', '0002_profiles_audit')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Thread',
            index=Index(fields=['group_id', 'pinned_at']),
        ),
    ]
