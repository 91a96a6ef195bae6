from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('consultations', '0001_initial'), ('forum', '0006_post_created_indexes'), ('members', '0003_session_user_index')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Comment',
            index=Index(fields=['consultation_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='LiveSession',
            index=Index(fields=['consultation_id', 'starts_at']),
        ),
        ops.AddIndex(
            model_name='Option',
            index=Index(fields=['question_id', 'position']),
        ),
        ops.AddIndex(
            model_name='QAQuestion',
            index=Index(fields=['session_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Question',
            index=Index(fields=['consultation_id', 'position']),
        ),
        ops.AddIndex(
            model_name='Section',
            index=Index(fields=['consultation_id', 'position']),
        ),
    ]
