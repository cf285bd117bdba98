"""归档: filing a closed case with its 四性检测, archive packages and case-file PDFs,
retention and approved disposal, fixity audits and whole-store integrity checks.
"""
