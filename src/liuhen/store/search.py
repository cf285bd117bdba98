"""Full-text search of case numbers, titles and parties, for Chinese as much as for digits.

A Chinese title has no spaces to split words on, and people search by two characters as
often as by more (a name, 扣押, 堆放). So every text is indexed by its *bigrams*: runs of
letters and digits (after NFKC and case folding) cut into overlapping pairs, plus each run's
last character, so that "某石料厂" is indexed as ``某石 石料 料厂 厂``. A search for a run of
two or more characters asks for all its bigrams; a search for one character asks for the
terms that start with it. Both databases keep the terms in ``case_summaries.search_terms``:

- SQLite: an FTS5 table ``case_search`` (unicode61 tokenizer, external content, kept by
  triggers) over that column; a query is ``"石料" AND "料厂"`` or ``"厂"*``;
- PostgreSQL: a GIN index on ``to_tsvector('simple', search_terms)``; a query is
  ``'石料' & '料厂'`` or ``'厂':*``.

All bigrams present does not yet mean the text contains the query (``石料`` and ``料厂``
may sit in different words), so the candidates are checked with ``LIKE`` on the folded
text (``search_text``): the index narrows, the check decides. A query with no letter or
digit at all (punctuation only) is only the check, over the rows the other filters leave.

Why not SQLite's ``trigram`` tokenizer or ``pg_trgm``: both need three characters before the
index helps, and a two-character search would read every row.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Dialect

from liuhen.store import tables as t
from liuhen.store.queries.binds import Bind, literal, parameter


def fold(value: str) -> str:
    """The form texts are indexed and searched in: NFKC (full-width digits are digits), then
    case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def _runs(value: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for ch in fold(value):
        if ch.isalnum():
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def search_terms(*texts: str) -> str:
    """The index terms of ``texts`` (space-separated, sorted, each once)."""
    terms: set[str] = set()
    for value in texts:
        for run in _runs(value):
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
            terms.add(run[-1])
    return " ".join(sorted(terms))


def search_text(*texts: str) -> str:
    """What the check reads: the folded texts, one a line (a search never spans two)."""
    return "\n".join(fold(value) for value in texts)


def _query(q: str) -> tuple[list[str], list[str]]:
    """(terms every match holds, characters some term of every match starts with)."""
    whole: set[str] = set()
    starts: set[str] = set()
    for run in _runs(q):
        if len(run) == 1:
            starts.add(run)
        else:
            whole.update(run[i : i + 2] for i in range(len(run) - 1))
    return sorted(whole), sorted(starts - {c for term in whole for c in term})


def _like(q: str) -> str:
    escaped = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(
    q: str, dialect: Dialect, *, indexed: bool = True, bind: Bind = literal
) -> ColumnElement[bool]:
    """The condition on ``case_summaries`` for rows whose number, title or party name
    contains ``q`` (case-insensitively, full-width folded). ``indexed`` False: the check
    alone, for a page of a word so common that reading the newest rows until the page is
    full is quicker than reading and sorting every candidate the index gives. ``bind``:
    the pattern and the index's query as themselves or as the parameters of
    ``search_values`` (the statement's form then depends on ``search_shape`` alone)."""
    pattern = bind("search_like", _like(q))
    check = t.case_summaries.c.search_text.like(pattern, escape="\\")
    found = _indexed(q, dialect, bind)
    if not indexed or found is None:
        return check
    return and_(found, check)


def search_shape(q: str, dialect: Dialect) -> tuple[str, bool]:
    """What of ``q`` decides the form of ``matches``: the database, and whether the index
    can help (``q`` holds a letter or digit)."""
    return dialect.name, _index_query(q, dialect.name) is not None


def search_values(q: str, dialect: Dialect) -> dict[str, Any]:
    """The values of ``matches``' parameters for ``q`` (none without ``q``)."""
    if not q:
        return {}
    return {"search_like": _like(q), "search_index": _index_query(q, dialect.name)}


def _indexed(q: str, dialect: Dialect, bind: Bind = literal) -> ColumnElement[bool] | None:
    """The index's condition for ``q`` (its candidates), None when the index cannot help."""
    found = _fts_rowids(q, bind) if dialect.name == "sqlite" else _tsquery(q, bind)
    if found is None or dialect.name != "sqlite":
        return found
    return literal_column("case_summaries.rowid").in_(found)


def _index_query(q: str, dialect: str) -> str | None:
    """The index's query of ``q`` (None: the index cannot help): SQLite's FTS5 query
    (``"石料" AND "厂"*``), PostgreSQL's ``to_tsquery`` text (``'石料' & '厂':*``)."""
    whole, starts = _query(q)
    if not whole and not starts:
        return None
    if dialect == "sqlite":
        return " AND ".join([*(f'"{w}"' for w in whole), *(f'"{c}"*' for c in starts)])
    return " & ".join([*(f"'{w}'" for w in whole), *(f"'{c}':*" for c in starts)])


def _fts_rowids(q: str, bind: Bind = literal) -> Any:
    """SQLite: the statement of the rowids ``case_search`` gives for ``q`` (or None)."""
    expression = _index_query(q, "sqlite")
    if expression is None:
        return None
    found = text("SELECT rowid FROM case_search WHERE case_search MATCH :search_index")
    value = bind("search_index", expression)
    if isinstance(value, str):  # the word written in (else the parameter runs unbound)
        found = found.bindparams(search_index=value)
    return found.columns(column("rowid", Integer()))


def _tsquery(q: str, bind: Bind = literal) -> ColumnElement[bool] | None:
    """PostgreSQL: the GIN index's condition for ``q`` (or None)."""
    expression = _index_query(q, "postgresql")
    if expression is None:
        return None
    vector = func.to_tsvector(literal_column("'simple'"), t.case_summaries.c.search_terms)
    query = func.to_tsquery(literal_column("'simple'"), bind("search_index", expression))
    return vector.op("@@")(query)


def candidates(conn: Connection, q: str, cap: int) -> int:
    """How many cases of the whole store the index gives for ``q``, counted up to
    ``cap + 1`` (past that, or when the index cannot help, ``cap + 1``): what a search
    driven by the index would read, told from the index alone (SQLite: the full-text
    table's rowids, ~0.1 ms)."""
    expression = _index_query(q, conn.dialect.name)
    if expression is None:
        return cap + 1
    query = _SQLITE_CANDIDATES if conn.dialect.name == "sqlite" else _POSTGRES_CANDIDATES
    found = conn.execute(query, {"search_index": expression, "cap": cap + 1}).scalar_one()
    return int(found)


def _candidates(rowids: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(rowids.limit(bindparam("cap")).subquery())


_SQLITE_CANDIDATES = _candidates(select(_fts_rowids("x", parameter).subquery().c.rowid))
_POSTGRES_CANDIDATES = _candidates(
    select(t.case_summaries.c.case_id).where(_tsquery("x", parameter))  # type: ignore[arg-type]
)
"""``candidates``' statements, built once (``"x"``: any word the index knows)."""


def create_index(op: Any) -> None:
    """The search structures of the migration's database (see the module docstring)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE case_search USING fts5(search_terms, "
            "content='case_summaries', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER case_search_insert AFTER INSERT ON case_summaries BEGIN "
            "INSERT INTO case_search(rowid, search_terms) VALUES (new.rowid, new.search_terms); "
            "END"
        )
        op.execute(
            "CREATE TRIGGER case_search_delete AFTER DELETE ON case_summaries BEGIN "
            "INSERT INTO case_search(case_search, rowid, search_terms) "
            "VALUES ('delete', old.rowid, old.search_terms); END"
        )
        op.execute(
            "CREATE TRIGGER case_search_update AFTER UPDATE OF search_terms ON case_summaries "
            "BEGIN INSERT INTO case_search(case_search, rowid, search_terms) "
            "VALUES ('delete', old.rowid, old.search_terms); "
            "INSERT INTO case_search(rowid, search_terms) VALUES (new.rowid, new.search_terms); "
            "END"
        )
        op.execute("INSERT INTO case_search(case_search) VALUES ('rebuild')")
    else:
        op.execute(
            "CREATE INDEX ix_case_summaries_search ON case_summaries "
            "USING gin (to_tsvector('simple', search_terms))"
        )


def drop_index(op: Any) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS case_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS case_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_case_summaries_search")
