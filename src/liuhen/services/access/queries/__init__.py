"""The access feature's reads: every SQL query of ``services/access`` lives in this package
(import-linter keeps SQLAlchemy out of the other service modules)."""
