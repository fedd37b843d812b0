"""No index of the app's tables is one PostgreSQL never needs.

At 70 M participants every index on a big table is gigabytes of disk and cache, and one more entry
to write (and WAL to ship) for every row inserted: the reminder pass inserts over a million rows a
day at 1 M enrollments. Django adds two kinds of index nobody asked for:
- a `varchar_pattern_ops` copy of every `unique=True` or `db_index=True` CharField (and of a foreign
  key to a CharField key), which only a case-sensitive `LIKE 'abc%'` uses; the app never runs one;
- the single-column index of a foreign key that a composite index already starts with.

The app declares its unique CharFields with `UniqueConstraint` and its lookups with `Meta.indexes`, and
turns `db_index` off on foreign keys a composite index covers. This test keeps it so.
"""

import pytest
from django.apps import apps
from django.db import connection

APPS = ("sponsors", "registration", "contributions", "notifications", "core")
# Lookup tables of a few dozen rows, whose Django-made extra index costs nothing.
SMALL_TABLES = {"registration_occupation"}  # its primary key is a slug: Django adds a pattern-ops copy

# One row per index of the app's tables: key columns, operator classes, unique, partial, expression.
INDEXES = """
SELECT c.relname, i.indexrelid::regclass::text, i.indkey::text,
       ARRAY(SELECT o.opcname FROM unnest(i.indclass) AS k(oid) JOIN pg_opclass o ON o.oid = k.oid),
       i.indisunique, i.indpred IS NOT NULL, i.indexprs IS NOT NULL
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
"""


def _app_tables() -> set[str]:
    """The tables of the app's own models (not Django's many-to-many tables for groups and permissions)."""
    return {
        model._meta.db_table
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.auto_created
    } - SMALL_TABLES


def _app_indexes() -> list[dict]:
    tables = _app_tables()
    with connection.cursor() as cursor:
        cursor.execute(INDEXES)
        rows = cursor.fetchall()
    return [
        {"table": table, "name": name, "columns": tuple(keys.split()), "opclasses": opclasses,
         "unique": unique, "partial": partial, "expression": expression}
        for table, name, keys, opclasses, unique, partial, expression in rows
        if table in tables
    ]


def redundant(indexes: list[dict]) -> list[str]:
    """Pattern-ops indexes, and plain indexes whose columns lead another full index of the table."""
    pattern = [ix for ix in indexes if any(o.endswith("_pattern_ops") for o in ix["opclasses"])]
    found = [f"{ix['name']} (pattern ops)" for ix in pattern]
    # Full indexes with the ordinary operator classes: the ones a lookup or an ORDER BY can use.
    plain = [ix for ix in indexes if not ix["partial"] and not ix["expression"] and ix not in pattern]
    for ix in plain:
        if ix["unique"]:
            continue
        for other in plain:
            leads = other["columns"][: len(ix["columns"])] == ix["columns"]
            if other is not ix and other["table"] == ix["table"] and leads:
                found.append(f"{ix['name']} (covered by {other['name']})")
                break
    return sorted(found)


def test_the_rule_finds_both_kinds():
    indexes = [
        {"table": "t", "name": "t_pk", "columns": ("1",), "opclasses": ["int8_ops"], "unique": True,
         "partial": False, "expression": False},
        {"table": "t", "name": "t_code_like", "columns": ("2",), "opclasses": ["varchar_pattern_ops"],
         "unique": False, "partial": False, "expression": False},
        # Only a pattern-ops copy would cover it: the index an equality lookup or ORDER BY uses stays.
        {"table": "t", "name": "t_code", "columns": ("2",), "opclasses": ["varchar_ops"], "unique": False,
         "partial": False, "expression": False},
        {"table": "t", "name": "t_owner", "columns": ("3",), "opclasses": ["int8_ops"], "unique": False,
         "partial": False, "expression": False},
        {"table": "t", "name": "t_owner_day", "columns": ("3", "4"), "opclasses": ["int8_ops", "date_ops"],
         "unique": False, "partial": False, "expression": False},
        # A partial index covers only some rows: it never makes a full one redundant.
        {"table": "t", "name": "t_day_open", "columns": ("4", "1"), "opclasses": ["date_ops", "int8_ops"],
         "unique": False, "partial": True, "expression": False},
        {"table": "t", "name": "t_day", "columns": ("4",), "opclasses": ["date_ops"], "unique": False,
         "partial": False, "expression": False},
    ]

    assert redundant(indexes) == ["t_code_like (pattern ops)", "t_owner (covered by t_owner_day)"]


@pytest.mark.django_db
def test_the_app_has_no_redundant_index():
    indexes = _app_indexes()

    assert len(indexes) > 40  # the migrated schema was read
    assert redundant(indexes) == []


@pytest.mark.django_db
def test_every_declared_index_and_constraint_exists():
    # A migration can drop what the models still declare (Django's AlterField dropping db_index takes
    # the column's partial unique indexes with it: registration 0006 says how it is avoided).
    missing = []
    with connection.cursor() as cursor:
        for label in APPS:
            for model in apps.get_app_config(label).get_models():
                present = connection.introspection.get_constraints(cursor, model._meta.db_table)
                declared = [*model._meta.indexes, *model._meta.constraints]
                missing += [f"{model._meta.db_table}.{item.name}" for item in declared if item.name not in present]

    assert missing == []
