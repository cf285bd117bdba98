"""案件: opening and listing cases, acts and records, documents, service of documents,
case bundles (import/export), the case page's view and the cached compliance summaries.
"""
