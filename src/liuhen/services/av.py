"""Audio-video records: ingest originals, link them to a case, derive copies. Originals never change.

An AV record (``records.kind = "av"``) keeps the case-bundle ``av_record`` form in its
details and one ``record_files`` row per segment (role ``segment``) with the probe facts
and the source of every time. Footage no case holds yet has ``case_id`` NULL. Linking it,
and every later note (interruptions, opening statement …), is a NEW version with the same
segments that supersedes the old one. Deleting or replacing an original is refused on
every route, and the attempt is a ledger event. A clip or captioned copy is a record of
its own (``kind = "av_derived"``) naming its original and time range, so the compliance
engine never takes a copy for a recording of the act.

A file that continues a stored recording (same device and officer, within
``Settings.av_join_minutes``; it arrived alone, by upload or a later folder) becomes a segment
of a new version of that record instead: ``av_join`` holds the rule.

The work lives in modules named for what they hold: ``av_ingest`` (import), ``av_versions``
(linking, notes, refusals), ``av_clips`` (derived copies), ``av_views`` (read-only views)
and ``av_rows`` (row writers they share). This module is the public face.
"""

from __future__ import annotations

from liuhen.services.av_clips import make_av_clip
from liuhen.services.av_ingest import UNKNOWN_DEVICE, UNKNOWN_OFFICER, import_av
from liuhen.services.av_rows import NEVER
from liuhen.services.av_versions import (
    ORIGINAL,
    REVISABLE,
    delete_av,
    link_av,
    replace_av_file,
    revise_av,
)
from liuhen.services.av_views import act_av_coverage, av_record_view, unlinked_av

__all__ = [
    "NEVER",
    "ORIGINAL",
    "REVISABLE",
    "UNKNOWN_DEVICE",
    "UNKNOWN_OFFICER",
    "act_av_coverage",
    "av_record_view",
    "delete_av",
    "import_av",
    "link_av",
    "make_av_clip",
    "replace_av_file",
    "revise_av",
    "unlinked_av",
]
