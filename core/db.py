"""Writing model rows without the ORM's per-statement machinery, for the few hot write paths.

Measured on the invoice path (docs/benchmarks.md): an ORM `create()` costs 0.3–0.5 ms of Python
before the statement leaves (compiling the query, `save()`'s machinery), and a select with
`select_for_update` and `select_related` about 1 ms, against ~0.1 ms for the same statement written
by hand. `insert_rows` writes unsaved instances the way `bulk_create` would (the columns come from
the model, so a new field cannot be forgotten; `auto_now`/`auto_now_add` and defaults apply; the
values go through each field's own conversion), in one statement, with no signals (like
`bulk_create`). It works on PostgreSQL and on SQLite (RETURNING since 3.35).
"""

from functools import cache

from django.db import connection
from django.db.models import Model


def placeholders(count: int) -> str:
    """`%s, %s, …`: the parameters of an `IN (…)` list or a VALUES row of `count` values."""
    return ", ".join(["%s"] * count)


@cache
def _insert_sql(model: type[Model], with_pk: bool, rows: int) -> tuple[str, tuple]:
    opts = model._meta
    fields = tuple(f for f in opts.concrete_fields if with_pk or not f.primary_key)
    quote = connection.ops.quote_name
    row = f"({placeholders(len(fields))})"
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * rows)}"
    )
    if not with_pk:
        sql += f" RETURNING {quote(opts.pk.column)}"
    return sql, fields


def insert_rows(objs: list[Model]) -> None:
    """INSERT these unsaved instances of one model in one statement. Instances without a primary key
    get the one the database assigned; instances with one are written with it (all or none)."""
    if not objs:
        return
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk or type(obj) is not model for obj in objs):
        raise ValueError("insert_rows takes instances of one model, all with a primary key or none")
    sql, fields = _insert_sql(model, with_pk, len(objs))
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
        for obj in objs
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not with_pk:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
