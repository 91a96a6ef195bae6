from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('members', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('members.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('target_type', fields.CharField(max_length=32)),
                ('target_id', fields.IntField(null=True)),
                ('group_id', fields.IntField(null=True, db_index=True)),
                ('reason', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_entries', 'app': 'members', 'indexes': [Index(fields=['actor_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One moderator or administrator action, kept for accountability (who did what, when, why).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberWarning',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.CASCADE)),
                ('issued_by', fields.ForeignKeyField('members.User', source_field='issued_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(unique=False)),
                ('reason_html', fields.TextField(unique=False)),
                ('group_id', fields.IntField(null=True)),
                ('post_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_warnings', 'app': 'members', 'indexes': [Index(fields=['user_id', 'acknowledged_at'])], 'pk_attr': 'id', 'table_description': "A moderator's formal warning to a member, shown on the member's next page until they"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='bio_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='city',
            field=fields.CharField(default='', db_default='', max_length=120),
        ),
        ops.AddField(
            model_name='User',
            name='city_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='country_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='expertise',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AddField(
            model_name='User',
            name='expertise_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='hide_presence',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='languages',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
        ops.AddField(
            model_name='User',
            name='languages_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='organisation_type_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='organisation_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='stages',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
        ops.AddField(
            model_name='User',
            name='stages_visibility',
            field=fields.CharField(default='nobody', db_default='nobody', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='suspended_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
