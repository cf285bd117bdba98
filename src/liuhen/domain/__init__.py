"""The pure domain: cases and everything recorded about them, and findings about them.

Stdlib only (an import-linter contract keeps frameworks, ORMs, YAML and HTTP out; a unit
test lists the standard modules it may use): ``liuhen.domain.case`` (the case model, also
the shape of a case bundle), ``liuhen.domain.finding`` (what the compliance engine reports),
``liuhen.domain.vocab`` (the closed code lists with their Chinese names),
``liuhen.domain.redaction`` (marks on a party's copy; the ones proposed come from
``liuhen.services.access.detection``, which uses python-stdnum). Sample cases to build
tests from are test factories (``tests/samples.py``); the demo's cases are data
(``liuhen/demo/``).
"""
