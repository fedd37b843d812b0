"""Schema changes that a large live table can take, for the migrations written by hand."""

from django.db.models import Index


def swap_index(schema_editor, model, *, drop: str, create: Index) -> None:
    """Build the index `create`, then drop the index named `drop`.

    On PostgreSQL both run CONCURRENTLY, so neither blocks writes to the table while it scans it
    (Django's AddIndex and RemoveIndex would, for minutes at hundreds of millions of rows); the
    migration must then be `atomic = False`. IF [NOT] EXISTS lets a migration that stopped halfway
    run again. Elsewhere (SQLite in development) the schema editor does it plainly."""
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        create_sql = str(create.create_sql(model, schema_editor))
        schema_editor.execute(create_sql.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1))
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(drop)}")
    else:
        schema_editor.add_index(model, create)
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(drop)}")
