"""Schema changes that a large live table can take, for the migrations written by hand."""

from django.db.models import Index, UniqueConstraint


def create_index(schema_editor, model, index: Index | UniqueConstraint) -> None:
    """Build an index, or a unique constraint that is an index (one with a condition).

    On PostgreSQL it runs CONCURRENTLY, so it does not block writes to the table while it scans it
    (Django's AddIndex and AddConstraint would, for minutes at hundreds of millions of rows); the
    migration must then be `atomic = False`. A build that stopped halfway leaves an invalid index
    behind: it is dropped and built again, so the migration can simply run again. Elsewhere (SQLite
    in development) the schema editor does it plainly."""
    if schema_editor.connection.vendor != "postgresql":
        if isinstance(index, Index):
            schema_editor.add_index(model, index)
        else:
            schema_editor.add_constraint(model, index)
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [index.name])
        found = cursor.fetchone()
    if found and not found[0]:
        drop_index(schema_editor, index.name)
    sql = str(index.create_sql(model, schema_editor))
    for plain in ("CREATE UNIQUE INDEX", "CREATE INDEX"):
        if sql.startswith(plain):
            schema_editor.execute(sql.replace(plain, f"{plain} CONCURRENTLY IF NOT EXISTS", 1))
            return
    raise ValueError(f"not an index: {sql}")


def drop_index(schema_editor, name: str) -> None:
    """DROP INDEX, CONCURRENTLY on PostgreSQL (see create_index); nothing if it is not there."""
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(name)}")


def swap_index(schema_editor, model, *, drop: str, create: Index) -> None:
    """Build the index `create`, then drop the index named `drop` (both as above)."""
    create_index(schema_editor, model, create)
    drop_index(schema_editor, drop)
