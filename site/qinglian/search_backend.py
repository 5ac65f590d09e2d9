"""Wagtail's database search backend, tuned for segmented Chinese text.

``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "qinglian.search_backend"}}`` picks,
like Wagtail's own ``database`` backend, the implementation for the default database:

- SQLite (FTS5): the stock backend ranks with ``bm25()`` over all columns alike, so a word
  in the title counts no more than the same word in the body. Here ``bm25()`` weights the
  title column (``TITLE_WEIGHT``), so title hits rank first.
- PostgreSQL: the text-search configuration defaults to ``simple`` (the language stemmers
  do nothing useful with Han text); titles keep their weight through the field boost.
- anything else: Wagtail's own choice.

The text reaching either backend is already segmented (``qinglian.search.segment``).
"""

from __future__ import annotations

import functools
from typing import Any

TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
AUTOCOMPLETE_WEIGHT = 1.0


@functools.cache
def _sqlite_backend_class() -> type:
    from modelsearch.backends.database.sqlite.query import BM25
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteFTSIndexEntry,
        SQLiteSearchBackend,
        SQLiteSearchQueryCompiler,
    )

    class WeightedBM25(BM25):
        """``bm25()`` with per-column weights; the FTS5 table's columns are
        (autocomplete, body, title)."""

        def as_sql(
            self, compiler: Any, connection: Any, function: Any = None, template: Any = None
        ):
            table = SQLiteFTSIndexEntry._meta.db_table
            weights = f"{AUTOCOMPLETE_WEIGHT}, {BODY_WEIGHT}, {TITLE_WEIGHT}"
            return f"bm25({table}, {weights})", []

    class TitleWeightedQueryCompiler(SQLiteSearchQueryCompiler):
        def _build_rank_expression(self, vectors: Any, config: Any) -> Any:
            # FTS5 scores the whole MATCH expression at once; lower is better, and the
            # stock compiler orders ascending.
            return WeightedBM25()

    class QinglianSQLiteSearchBackend(SQLiteSearchBackend):
        query_compiler_class = TitleWeightedQueryCompiler

    return QinglianSQLiteSearchBackend


def SearchBackend(params: dict[str, Any]) -> Any:  # Wagtail looks up this name
    """The backend for the default database (Wagtail calls this with the settings)."""
    from django.db import connection
    from modelsearch.backends import database

    if connection.vendor == "postgresql":
        params = {**params}
        params.setdefault("SEARCH_CONFIG", "simple")
        return database.SearchBackend(params)
    if connection.vendor == "sqlite":
        stock = database.SearchBackend(params)
        from modelsearch.backends.database.sqlite.sqlite import SQLiteSearchBackend

        if isinstance(stock, SQLiteSearchBackend):
            return _sqlite_backend_class()(params)
        return stock
    return database.SearchBackend(params)


def higher_score_is_better() -> bool:
    """SQLite's ``bm25()`` is negative, best first when ascending; PostgreSQL's
    ``ts_rank`` is positive, best first when descending."""
    from django.db import connection

    return connection.vendor != "sqlite"
