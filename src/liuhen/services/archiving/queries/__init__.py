"""The archiving feature's reads: every SQL statement of ``services/archiving`` lives in this
package (import-linter keeps SQLAlchemy out of the other service modules)."""
