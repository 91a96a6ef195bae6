from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('members', '0001_initial'), ('members', '0002_profiles_audit')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Session',
            index=Index(fields=['user_id', 'revoked_at']),
        ),
    ]
