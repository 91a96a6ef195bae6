from tortoise import migrations
from tortoise.migrations import operations as ops
from forum.models import GroupRole, MembershipStatus, Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True
    dependencies = [("members", "0001_initial")]

    operations = [
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('description_html', fields.TextField(default='', unique=False)),
                ('visibility', fields.CharEnumField(default=Visibility.PUBLIC, description='PUBLIC: public\nMEMBERS: members\nPRIVATE: private', enum_type=Visibility, max_length=16)),
                ('created_by', fields.ForeignKeyField('members.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('thread_count', fields.IntField(default=0)),
                ('member_count', fields.IntField(default=0)),
                ('last_activity_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'groups', 'app': 'forum', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('forum.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=GroupRole.MEMBER, description='MEMBER: member\nMODERATOR: moderator', enum_type=GroupRole, max_length=16)),
                ('status', fields.CharEnumField(default=MembershipStatus.ACTIVE, description='ACTIVE: active\nREQUESTED: requested\nINVITED: invited', enum_type=MembershipStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'memberships', 'app': 'forum', 'unique_together': (('group', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Thread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('forum.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('author', fields.ForeignKeyField('members.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_post_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('post_count', fields.IntField(default=0)),
            ],
            options={'table': 'threads', 'app': 'forum', 'indexes': [Index(fields=['group_id', 'last_post_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('author', fields.ForeignKeyField('members.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('parent', fields.ForeignKeyField('forum.Post', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'posts', 'app': 'forum', 'unique_together': (('thread', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
