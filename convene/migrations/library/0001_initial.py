from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from library.models import Audience, ResourceKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('forum', '0002_search'), ('members', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Resource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('description_html', fields.TextField(default='', unique=False)),
                ('kind', fields.CharEnumField(description='FILE: file\nLINK: link', enum_type=ResourceKind, max_length=8)),
                ('url', fields.CharField(default='', max_length=2000)),
                ('file_sha256', fields.CharField(default='', db_index=True, max_length=64)),
                ('file_name', fields.CharField(default='', max_length=200)),
                ('file_type', fields.CharField(default='', max_length=8)),
                ('file_size', fields.BigIntField(default=0)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('stages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('country', fields.CharField(default='', max_length=2)),
                ('publisher', fields.CharField(default='', max_length=200)),
                ('year', fields.IntField(null=True)),
                ('last_reviewed', fields.DateField(null=True)),
                ('group', fields.ForeignKeyField('forum.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('audience', fields.CharEnumField(default=Audience.MEMBERS, description='PUBLIC: public\nMEMBERS: members', enum_type=Audience, max_length=8)),
                ('translation_of', fields.ForeignKeyField('library.Resource', source_field='translation_of_id', null=True, db_constraint=True, to_field='id', related_name='translations', on_delete=OnDelete.SET_NULL)),
                ('thread', fields.ForeignKeyField('forum.Thread', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.ForeignKeyField('members.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'library_resources', 'app': 'library', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceComment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('library.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('members.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'library_comments', 'app': 'library', 'indexes': [Index(fields=['resource_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A comment on a network-wide resource (a group's resource is discussed in a forum thread)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceFacet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('library.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='facets', on_delete=OnDelete.CASCADE)),
                ('facet', fields.CharField(max_length=8)),
                ('value', fields.CharField(max_length=60)),
            ],
            options={'table': 'library_facets', 'app': 'library', 'unique_together': (('resource', 'facet', 'value'),), 'indexes': [Index(fields=['facet', 'value'])], 'pk_attr': 'id', 'table_description': 'One facet value of a resource ("stage"/"health", "language"/"ar", "tag"/"housing",'},
            bases=['Model'],
        ),
    ]
