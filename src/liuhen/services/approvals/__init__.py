"""审批: the generic 承办人 → 审核人 → 批准人 workflow (model, queries, workflow), the
registry of approval kinds, and written authorisations (授权) of deputies.
"""
