"""The file-reading half of the rules: what the pure engine is given, read from files.

``profiles`` (YAML with ``extends``, checked in ``profile_checks`` with file and line),
``calendar`` (the ``chinese_calendar`` package and administrators' schedule files),
``bundle`` (case bundle JSON and its schema; ``bundle_checks`` and ``bundle_codec`` are the
pure halves), ``articles`` (the cited article texts), ``yamlsource`` (YAML with line numbers)
and ``docgen`` (docs/rules.md from all of these).
"""
