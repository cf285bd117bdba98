"""Backups of a whole store, and putting one back (``liuhen backup`` / ``liuhen restore``).

A backup is a directory::

    MANIFEST               JSON: the ledger's size and root at the snapshot, the schema
                           revision, the engine, the time, and the SHA-256 and size of every
                           other file (``manifest``)
    MANIFEST.sha256        the SHA-256 of MANIFEST itself
    database.sqlite3       SQLite: the sqlite3 online backup of the database (``snapshot``)
    database.dump          PostgreSQL: ``pg_dump -Fc`` of the store's database (``postgres``)
    blobs/sha256/ab/cd/…   a local blob store: a copy of every blob the snapshot's rows list
    blobs.jsonl            an S3 blob store: every object the rows list (key, SHA-256, SM3,
                           size); the bucket's own replication keeps the bytes
    keys/                  the signing key (and retired ones), as the data directory holds them
    checkpoints.jsonl      the checkpoint log as it stood at the snapshot
    witnesses/             the witness registry, kept cosignatures and rotation statements

The snapshot is consistent while the app runs: the database's snapshot is taken while the
ledger's head is locked (no transaction can append an event), and the data directory's
files are read as they stood then (``files``). What a restore finds before it starts is
``target``. The use cases (events, verification, messages) are
``services/admin/backup.py`` and ``services/admin/restore.py``.
"""

from __future__ import annotations

FORMAT = "liuhen-backup/1"
MANIFEST = "MANIFEST"
MANIFEST_DIGEST = "MANIFEST.sha256"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
BLOB_DIR = "blobs"
BLOB_LIST = "blobs.jsonl"
KEYS_DIR = "keys"
LOG_FILE = "checkpoints.jsonl"
WITNESS_DIR = "witnesses"
