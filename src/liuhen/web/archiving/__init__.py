"""The case page's case-file section: filing, 四性检测, retention and disposal
(``services/archiving``).
"""
