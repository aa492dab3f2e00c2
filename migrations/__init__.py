"""Alembic migrations: one revision per schema change (``govbot migrate`` applies them)."""
