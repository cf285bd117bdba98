"""The pure domain: cases and everything recorded about them, and findings about them.

Stdlib only, and python-stdnum's pure check-digit helpers for ID numbers and credit codes
(an import-linter contract keeps frameworks, ORMs, YAML and HTTP out):
``liuhen.domain.case`` (the case model, also the shape of a case bundle),
``liuhen.domain.finding`` (what the compliance engine reports), ``liuhen.domain.vocab``
(the closed code lists with their Chinese names), ``liuhen.domain.redaction`` and
``liuhen.domain.detection`` (marks on a party's copy, and the ones proposed). Sample cases
to build tests from are test factories (``tests/samples.py``); the demo's cases are data
(``liuhen/demo/``).
"""
