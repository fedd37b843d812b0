"""Admin list pages over tables of tens of millions of rows.

A list page counts its rows to number its pages. Unfiltered, that is `SELECT COUNT(*)` over the whole
table: 27 ms for 1 M enrollments, seconds at 70 M, and more for invoices (a row per payer per
month), every time a staff member opens the list. Unfiltered and large, the count is PostgreSQL's
own estimate instead (`pg_class.reltuples`, kept by autovacuum and ANALYZE). Filtered or searched
lists, small tables and other databases count exactly. On the money and audit lists a search matches identifiers
exactly, on their indexes (`ExactSearchAdmin`), where `LIKE '%…%'` would read the whole table.

Filtered or searched, a list counts exactly what matches, unless the planner expects many rows
(`EXPLAIN`, no execution): counting 100,000 matches of a filter over a million rows took 0.5–1 s at
the benchmark's scale (docs/benchmarks.md, the admin phase), so a filter that matches that many shows
the planner's figure instead. Small results, the ones people page through to the end, stay exact.
"""

import json

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    # Below this many rows (as estimated) an exact count is cheap enough: keep it exact.
    exact_below = 1_000_000
    # The same for a filtered or searched list, as the planner expects its matches.
    filtered_exact_below = 20_000

    @cached_property
    def count(self) -> int:
        estimate = self._estimate()
        if estimate is not None:
            return estimate
        return super().count

    def _estimate(self) -> int | None:
        """The table's or the query's estimated rows, if there are enough of them to be worth it."""
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.distinct or query.combinator or query.is_sliced:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        if query.where:
            rows = self._planned_rows(queryset, connection)
            return rows if rows is not None and rows >= self.filtered_exact_below else None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
            )
            row = cursor.fetchone()
        # -1: never vacuumed nor analyzed, so no estimate yet.
        return row[0] if row and row[0] >= self.exact_below else None

    @staticmethod
    def _planned_rows(queryset, connection) -> int | None:
        """The rows the planner expects the query to return (planned, not run)."""
        try:
            sql, params = queryset.query.sql_with_params()
        except (EmptyResultSet, FullResultSet):
            return None  # nothing can match (counting it costs no query), or the filter is a no-op
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        rows = plan[0]["Plan"].get("Plan Rows")
        return int(rows) if rows is not None else None


class LargeTableAdmin:
    """For a ModelAdmin over a table that grows with the participants: its list pages never count the
    whole table (no "n of N" total for a search, the estimate when unfiltered)."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


class ExactSearchAdmin(LargeTableAdmin):
    """For a ModelAdmin whose search matches identifiers exactly, on their indexes, and nothing with
    `LIKE '%…%'` (a read of the whole table). `search_q(term)` says what a stripped, non-blank term
    matches; `search_fields` only shows the search box."""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_q(term)), False

    def search_q(self, term: str) -> Q:
        raise NotImplementedError
