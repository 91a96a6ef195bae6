from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('members', '0001_initial'), ('members', '0002_profiles_audit'), ('realtime', '0002_message_log_trigger')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ChatMessage',
            index=Index(fields=['room', 'author_id', 'created_at']),
        ),
    ]
