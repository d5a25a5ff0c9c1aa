"""Persistence: SQLAlchemy models, engine and session factory, migrations, change feed."""
