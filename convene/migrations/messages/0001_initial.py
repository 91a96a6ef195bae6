from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('members', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Block',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('blocker', fields.ForeignKeyField('members.User', source_field='blocker_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('blocked', fields.ForeignKeyField('members.User', source_field='blocked_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dm_blocks', 'app': 'messages', 'unique_together': (('blocker', 'blocked'),), 'pk_attr': 'id', 'table_description': 'The blocker no longer hears from the blocked member: no new conversations, no messages either way.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(default='', max_length=200)),
                ('created_by', fields.ForeignKeyField('members.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('pair_key', fields.CharField(null=True, unique=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dm_conversations', 'app': 'messages', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('email_new_messages', fields.BooleanField(default=True)),
            ],
            options={'table': 'dm_settings', 'app': 'messages', 'pk_attr': 'id', 'table_description': "A member's direct-message preferences (no row means the defaults)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Participant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('messages.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pending_since', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('notified_seq', fields.BigIntField(default=0)),
            ],
            options={'table': 'dm_participants', 'app': 'messages', 'unique_together': (('conversation', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
