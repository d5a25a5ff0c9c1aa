"""Planner hints SQLite needs and other engines must not see.

SQLite picks an index by rules, not by cost estimates it can trust, and its documented way to
keep a column out of index selection is the unary plus: `+col = ?` (https://sqlite.org/optoverview.html,
"Disqualifying WHERE clause terms using unary-+"). PostgreSQL plans from statistics and needs no hint;
its unary plus is only defined for numbers, so the hint renders as the plain column there.

Built the way SQLAlchemy documents custom SQL constructs (sqlalchemy.ext.compiler, with
`inherit_cache` so statements using it stay in the compiled cache).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement[Any]):
    """`column` as a value SQLite must not look up by an index."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type  # compares and binds exactly as the column does


@compiles(unindexed)
def _plain(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
