"""Many rows in one INSERT whose varying columns travel as one array each (PostgreSQL only).

``bulk_create`` prepares every value of every row in Python and sends rows × columns
parameters: for 10,000 reminder rows that was most of the dispatcher's run, and for the 50
read events of a clinician's page view, most of their cost (issue #8). Here each column
that varies is one array parameter, unnested by PostgreSQL, and every other column takes
one value for all rows: the model's default unless given.
"""

from typing import Any

from django.db import connections
from django.db.models import AutoField, Model


def insert_from_arrays(
    model: type[Model],
    varying: dict[str, list[Any]],
    fixed: dict[str, Any] | None = None,
    *,
    skip_conflicts: bool = False,
    returning: str | None = None,
    using: str = "default",
) -> list[Any]:
    """Insert ``len`` of the arrays rows of ``model``: column by field name, from
    ``varying`` (one value per row), else ``fixed``, else the field's default (an auto id is
    left to the database). ``skip_conflicts`` adds ON CONFLICT DO NOTHING; ``returning``
    names a field whose values of the rows written are returned."""
    connection = connections[using]
    fixed = fixed or {}
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoField) and field.name not in varying:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in varying:
            values.append(f"unnest(%s::{field.db_type(connection)}[])")
            params.append(varying[field.name])
        else:
            values.append("%s")
            value = fixed[field.name] if field.name in fixed else field.get_default()
            params.append(field.get_db_prep_save(value, connection))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "  # nosec B608 (model metadata, not input)
        f"({', '.join(columns)}) SELECT {', '.join(values)}"
    )
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        column = next(f.column for f in model._meta.concrete_fields if f.name == returning)
        sql += f" RETURNING {connection.ops.quote_name(column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [value for (value,) in cursor.fetchall()] if returning else []
