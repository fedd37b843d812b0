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

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def placeholders(count: int) -> str:
    """`%s, %s, …`: the parameters of an `IN (…)` list or a VALUES row of `count` values."""
    return ", ".join(["%s"] * count)


@cache
def _insert_sql(model: type[Model], with_pk: bool, rows: int, guarded: bool = False) -> tuple[str, tuple, bool]:
    """The INSERT of `rows` rows, its fields, and whether it takes one array per column (UNNEST).

    `guarded`: a source that yields no row unless the statement's `guard` WITH query says `ok`
    (PostgreSQL: one row as a SELECT of its values, whose types the INSERT's columns decide, or
    the arrays)."""
    opts = model._meta
    fields = tuple(f for f in opts.concrete_fields if with_pk or not f.primary_key)
    quote = connection.ops.quote_name
    unnest = connection.vendor == "postgresql" and rows > 1 and all(_unnestable(f) for f in fields)
    if guarded and rows > 1 and not unnest:
        raise ValueError(f"{model.__name__}: a guarded INSERT of several rows needs one array per column")
    if unnest:
        # What bulk_create does on PostgreSQL (Django 5.2): one array per column, so the statement
        # is the same whatever the number of rows (one prepared statement, a short parameter list).
        # The types lose their modifiers (varchar, not varchar(60)), as there.
        source = "SELECT * FROM UNNEST({})".format(
            ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        )
    elif guarded:
        source = f"SELECT {placeholders(len(fields))}"
    else:
        row = f"({placeholders(len(fields))})"
        source = f"VALUES {', '.join([row] * rows)}"
    if guarded:
        source += " WHERE (SELECT ok FROM guard)"
    sql = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) {source}"
    if not with_pk:
        sql += f" RETURNING {quote(opts.pk.column)}"
    return sql, fields, unnest


def _unnestable(field) -> bool:
    """Django's own test for a column of its UNNEST bulk insert (SQLInsertCompiler.assemble_as_sql)."""
    target = field.target_field if field.is_relation else field
    return not hasattr(field, "get_placeholder") and target.get_internal_type() in connection.data_types


def insert_rows(*groups: list[Model], guard: tuple[str, list] | None = None) -> bool:
    """INSERT unsaved instances: one list per model, on PostgreSQL all in one statement.

    Each list holds instances of one model, all with a primary key or none. Instances without one
    get the one the database assigned; instances with one are written with it. On PostgreSQL the
    lists become data-modifying WITH queries of one statement (one round trip for, say, a gateway's
    ledger row, an invoice and its lines; a foreign key between them is checked at the commit, as
    Django's are deferred), whose rows are the ids the database assigned, tagged with their list.
    Elsewhere (SQLite) each list is a statement of its own.

    `guard` (PostgreSQL): a query (sql, params) of one row and one boolean column, run first in the
    same statement; if it is false, nothing is written and this returns False. A statement is
    atomic on its own, so a check and the writes it allows need no transaction around them."""
    groups = tuple(group for group in groups if group)
    if not groups:
        return True
    # The connection behind `django.db.connection`, looked up once: every attribute read through
    # that proxy is a thread-local lookup, and preparing the values reads it for every field.
    db = connections[DEFAULT_DB_ALIAS]
    if guard is not None and db.vendor != "postgresql":
        raise ValueError("a guarded insert_rows is for PostgreSQL")
    statements = [_insert_statement(group, db, guarded=guard is not None) for group in groups]
    ok = True
    with db.cursor() as cursor:
        if db.vendor == "postgresql" and (len(groups) > 1 or guard is not None):
            cursor.execute(*_one_statement(groups, statements, guard))
            assigned = cursor.fetchall()
            if guard is not None:
                ok = bool(next(answer for n, answer in assigned if n == -1))  # (-1, the guard's answer)
                assigned = [row for row in assigned if row[0] != -1]
        else:
            assigned = []
            for n, (sql, params, with_pk) in enumerate(statements):
                cursor.execute(sql, params)
                if not with_pk:
                    assigned += [(n, pk) for (pk,) in cursor.fetchall()]
    if not ok:
        return False
    ids: dict[int, list] = {}
    for n, pk in assigned:
        ids.setdefault(n, []).append(pk)
    for n, group in enumerate(groups):
        if not statements[n][2]:
            for obj, pk in zip(group, ids.get(n, ()), strict=True):
                obj.pk = pk
        for obj in group:
            obj._state.adding = False
            obj._state.db = db.alias
    return True


def _one_statement(
    groups: tuple[list[Model], ...], statements: list[tuple[str, list, bool]], guard: tuple[str, list] | None = None
) -> tuple[str, list]:
    """The INSERTs as WITH queries; the statement's rows are (list's position, id) for the lists
    without keys, in each list's order (RETURNING's, as bulk_create relies on); with a guard, first
    (-1, 1 or 0) for its answer."""
    ctes = [f"w{n} AS ({sql})" for n, (sql, _, _) in enumerate(statements)]
    params = [value for _, values, _ in statements for value in values]
    quote = connection.ops.quote_name
    reads = [
        f"SELECT {n}, {quote(type(groups[n][0])._meta.pk.column)} FROM w{n}"
        for n, (_, _, with_pk) in enumerate(statements)
        if not with_pk
    ]
    if guard is not None:
        ctes.insert(0, f"guard (ok) AS ({guard[0]})")
        params = [*guard[1], *params]
        reads.insert(0, "SELECT -1, CASE WHEN (SELECT ok FROM guard) THEN 1 ELSE 0 END")
    main = " UNION ALL ".join(reads) if reads else "SELECT NULL, NULL WHERE FALSE"
    return f"WITH {', '.join(ctes)} {main}", params


def _insert_statement(objs: list[Model], db, guarded: bool = False) -> tuple[str, list, bool]:
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk or type(obj) is not model for obj in objs):
        raise ValueError("insert_rows takes lists of instances of one model, all with a primary key or none")
    sql, fields, unnest = _insert_sql(model, with_pk, len(objs), guarded)
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection=db) for field in fields]
        for obj in objs
    ]
    params = [list(column) for column in zip(*rows)] if unnest else [value for row in rows for value in row]
    return sql, params, with_pk


def update_rows(objs: list[Model], fields: list[str]) -> None:
    """`bulk_update(objs, fields)` without its CASE WHEN per row and per field, whose expressions
    cost milliseconds of Python for a hundred rows: on PostgreSQL one `UPDATE … FROM (VALUES …)`,
    the values through each field's own conversion (pre_save, so `auto_now` applies). Elsewhere,
    bulk_update itself."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[DEFAULT_DB_ALIAS]  # looked up once, as in insert_rows
    if db.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    opts = model._meta
    targets = [opts.get_field(name) for name in fields]
    for field in opts.concrete_fields:  # `auto_now` fields are stamped too, as save() would
        if getattr(field, "auto_now", False) and field not in targets:
            targets.append(field)
    quote = db.ops.quote_name
    columns = ["pk", *(f"c{n}" for n in range(len(targets)))]
    row = f"({placeholders(len(columns))})"
    sets = ", ".join(
        f"{quote(field.column)} = v.c{n}::{field.db_type(db)}" for n, field in enumerate(targets)
    )
    pk_type = (opts.pk.target_field if opts.pk.is_relation else opts.pk).db_type(db)
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {sets} FROM (VALUES {', '.join([row] * len(objs))}) "
        f"AS v ({', '.join(columns)}) WHERE {quote(opts.db_table)}.{quote(opts.pk.column)} = v.pk::{pk_type}"
    )
    params = []
    for obj in objs:
        params.append(obj.pk)
        params += [field.get_db_prep_save(field.pre_save(obj, add=False), connection=db) for field in targets]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
