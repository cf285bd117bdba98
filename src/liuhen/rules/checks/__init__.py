"""The rule types. Importing this package registers every one of them."""

from liuhen.rules.checks import (  # noqa: F401
    access,
    approvals,
    archive,
    av_deadlines,
    av_devices,
    av_making,
    av_required,
    documents,
    execution,
    officers,
    procedure,
    retention,
    service,
)
