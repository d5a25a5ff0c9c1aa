"""The Core Table of a mapped model, typed as a Table.

SQLAlchemy types Model.__table__ as a FromClause, since a class may be mapped to any selectable;
every model here is mapped to a plain Table, and Core statements (insert, update, .c on a Table)
want one. This checks it once, where the statements are built, instead of telling the type
checker to look away at each.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase


def table_of(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a plain Table.")
    return table
