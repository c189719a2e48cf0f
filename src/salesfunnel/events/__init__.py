"""The columnar event log every metric reads.

:class:`EventLog` is re-exported from :mod:`salesfunnel`; this package holds the log,
input conversion, sorting and the derived arrays cached per log.
"""

from salesfunnel.events._log import EventLog, Segment
from salesfunnel.events._properties import with_events

__all__ = ["EventLog", "Segment", "with_events"]
