from tortoise import migrations
from tortoise.migrations import operations as ops
from forum.models import FlagReason, NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0002_search'), ('members', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Flag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('reason', fields.CharEnumField(description='SPAM: spam\nINAPPROPRIATE: inappropriate\nOFF_TOPIC: off_topic\nOTHER: other', enum_type=FlagReason, max_length=16)),
                ('note', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('members.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('resolution', fields.CharField(default='', max_length=16)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=40)),
            ],
            options={'table': 'flags', 'app': 'forum', 'pk_attr': 'id', 'table_description': "A member's report that a post needs a moderator's attention."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='MENTION: mention\nREPLY: reply', enum_type=NotificationKind, max_length=16)),
                ('actor', fields.ForeignKeyField('members.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('group', fields.ForeignKeyField('forum.Group', source_field='group_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'forum', 'unique_together': (('user', 'post'),), 'indexes': [Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'An in-site notification. At most one per member and post (unique), so an edit that adds a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('forum.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('title', fields.CharField(default='', max_length=200)),
                ('editor', fields.ForeignKeyField('members.User', source_field='editor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'post_revisions', 'app': 'forum', 'unique_together': (('post', 'number'),), 'pk_attr': 'id', 'table_description': 'One version of a post. Number 1 is the original, written on the first edit, and the highest'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadMark',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('all_read_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'read_marks', 'app': 'forum', 'pk_attr': 'id', 'table_description': 'A member\'s "mark everything read": every post written before all_read_at counts as read.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThreadMove',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.CASCADE)),
                ('from_group', fields.ForeignKeyField('forum.Group', source_field='from_group_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('to_group', fields.ForeignKeyField('forum.Group', source_field='to_group_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('moved_by', fields.ForeignKeyField('members.User', source_field='moved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('moved_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'thread_moves', 'app': 'forum', 'indexes': [Index(fields=['thread_id', 'from_group_id'])], 'pk_attr': 'id', 'table_description': 'A thread moved from one group to another (forum/thread_tools.py). Its addresses under a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThreadRead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('last_read_number', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'thread_reads', 'app': 'forum', 'unique_together': (('user', 'thread'),), 'pk_attr': 'id', 'table_description': 'How far a member has read a thread: the highest post number shown to them.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Post',
            name='delete_reason',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Post',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Post',
            name='deleted_by',
            field=fields.ForeignKeyField('members.User', source_field='deleted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Post',
            name='edit_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Post',
            name='edited_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Post',
            name='hidden_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Post',
            name='hidden_by',
            field=fields.ForeignKeyField('members.User', source_field='hidden_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Post',
            name='hide_reason',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='closes_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='deleted_by',
            field=fields.ForeignKeyField('members.User', source_field='deleted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Thread',
            name='locked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='pinned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
