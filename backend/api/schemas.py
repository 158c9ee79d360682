"""marshmallow schemas for the HTTP API: what a request may carry, checked before any service runs."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.domain.columns import Grain

SLUG = validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$", error="lowercase letters, digits and _, starting with a letter")


class ProfileFilterSchema(Schema):
    statuses = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z_]{2,40}$")), load_default=list)
    shops = fields.List(fields.String(validate=validate.Length(1, 255)), load_default=list)
    max_age_days = fields.Integer(validate=validate.Range(1, 3650), load_default=None)


class SortKeySchema(Schema):
    column = fields.String(required=True, validate=SLUG)
    descending = fields.Boolean(load_default=False)


class ColumnProfileSchema(Schema):
    """A custom column profile as an admin sends it; the service then checks columns against the role table."""

    key = fields.String(required=True, validate=SLUG)
    title = fields.String(validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(max=500))
    audience_role = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z_]{1,31}$"))
    grain = fields.String(required=True, validate=validate.OneOf([g.value for g in Grain]))
    columns = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(1, 60))
    filter = fields.Nested(ProfileFilterSchema)
    sort = fields.List(fields.Nested(SortKeySchema), validate=validate.Length(max=5))

    @validates_schema
    def _unique_columns(self, data: dict[str, Any], **_kwargs: Any) -> None:
        columns = data.get("columns", [])
        if len(set(columns)) != len(columns):
            raise ValidationError("a column may appear only once", "columns")
