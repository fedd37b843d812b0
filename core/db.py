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


def insert_rows(*groups: list[Model]) -> None:
    """INSERT unsaved instances: one list per model, on PostgreSQL all in one statement.

    Each list holds instances of one model, all with a primary key or none. Instances without one
    get the one the database assigned; instances with one are written with it. On PostgreSQL the
    lists before the last become data-modifying WITH queries of the last one's INSERT (one round
    trip and one statement for, say, an invoice and its lines; a foreign key between them is checked
    at the commit, as Django's are deferred), so they must carry their primary keys: their ids are
    not read back. Elsewhere (SQLite) each list is a statement of its own."""
    groups = tuple(group for group in groups if group)
    if not groups:
        return
    statements = [_insert_statement(group) for group in groups]
    if any(not with_pk for _, _, with_pk in statements[:-1]):
        raise ValueError("insert_rows writes the lists before the last with their primary keys set")
    read_ids = not statements[-1][2]
    if connection.vendor == "postgresql" and len(statements) > 1:
        *first, (last_sql, _, _) = statements
        ctes = ", ".join(f"w{n} AS ({sql})" for n, (sql, _, _) in enumerate(first))
        params = [value for _, values, _ in statements for value in values]
        statements = [(f"WITH {ctes} {last_sql}", params, not read_ids)]
    with connection.cursor() as cursor:
        for sql, params, _ in statements:
            cursor.execute(sql, params)
        if read_ids:
            for obj, (pk,) in zip(groups[-1], cursor.fetchall(), strict=True):
                obj.pk = pk
    for group in groups:
        for obj in group:
            obj._state.adding = False
            obj._state.db = connection.alias


def _insert_statement(objs: list[Model]) -> tuple[str, list, bool]:
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk or type(obj) is not model for obj in objs):
        raise ValueError("insert_rows takes lists of instances of one model, all with a primary key or none")
    sql, fields = _insert_sql(model, with_pk, len(objs))
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
        for obj in objs
        for field in fields
    ]
    return sql, params, with_pk
