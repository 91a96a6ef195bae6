from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0003_depth'), ('members', '0002_profiles_audit')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['user_id', 'status']),
        ),
    ]
