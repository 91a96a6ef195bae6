"""Tortoise models for the resource library: resources (files or links), their facets, comments."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ResourceKind(StrEnum):
    FILE = "file"  # an uploaded file, stored under its sha256 outside the web root
    LINK = "link"  # an external http(s) address


class Audience(StrEnum):
    """Who reads a network-wide resource. A group's resource follows the group's own rules."""

    PUBLIC = "public"  # anyone on the web, and the tag feeds
    MEMBERS = "members"  # signed-in members of the network


class Resource(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    description_html = fields.TextField(default="")
    kind = fields.CharEnumField(ResourceKind, max_length=8)
    url = fields.CharField(max_length=2000, default="")
    # An uploaded file: the content's sha256 names it on disk (library/files.py); the name is the
    # member's, cleaned, with the extension of the type its content was recognised as.
    file_sha256 = fields.CharField(max_length=64, default="", db_index=True)
    file_name = fields.CharField(max_length=200, default="")
    file_type = fields.CharField(max_length=8, default="")
    file_size = fields.BigIntField(default=0)
    # For display; filtering and counting use ResourceFacet.
    languages = fields.JSONField(default=list)
    stages = fields.JSONField(default=list)
    tags = fields.JSONField(default=list)
    country = fields.CharField(max_length=2, default="")
    publisher = fields.CharField(max_length=200, default="")
    year = fields.IntField(null=True)
    last_reviewed = fields.DateField(null=True)
    # None: a network-wide resource (audience decides who reads it); else the group's rules apply.
    group: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "forum.Group", related_name=False, null=True, on_delete=fields.CASCADE
    )
    audience = fields.CharEnumField(Audience, max_length=8, default=Audience.MEMBERS)
    # A language version of another resource ("translation of"); shown both ways.
    translation_of: fields.ForeignKeyNullableRelation[Resource] = fields.ForeignKeyField(
        "library.Resource", related_name="translations", null=True, on_delete=fields.SET_NULL
    )
    # A group's resource is discussed in a thread of that group; a network-wide one in comments.
    thread: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "forum.Thread", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "library_resources"


class ResourceFacet(Model):
    """One facet value of a resource ("stage"/"health", "language"/"ar", "tag"/"housing",
    "country"/"DE"): what the browse page filters on and counts, with an index."""

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "library.Resource", related_name="facets", on_delete=fields.CASCADE
    )
    facet = fields.CharField(max_length=8)
    value = fields.CharField(max_length=60)

    class Meta:
        table = "library_facets"
        unique_together = (("resource", "facet", "value"),)
        indexes = (("facet", "value"),)


class ResourceComment(Model):
    """A comment on a network-wide resource (a group's resource is discussed in a forum thread)."""

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "library.Resource", related_name="comments", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "library_comments"
        indexes = (("resource_id", "created_at"),)
