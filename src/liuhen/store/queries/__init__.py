"""Read queries per feature: the SQL behind lists, search and the dashboard."""
