"""Case pages: the list, a new case, the case page and its panel, acts, documents and
service (``services/cases``).
"""
