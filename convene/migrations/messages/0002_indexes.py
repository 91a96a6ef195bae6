from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('members', '0003_session_user_index'), ('messages', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Conversation',
            index=Index(fields=['created_by_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Participant',
            index=Index(fields=['user_id', 'left_at']),
        ),
    ]
