"""Reading real data: event files, CRM exports, funnel and stage-map files.

:func:`read_events` reads any CSV or Parquet event file (long or wide, any delimiter,
epoch numbers, explicit time formats, decimal commas); :func:`read_salesforce_history`,
:func:`read_hubspot_stage_history` and :func:`read_pipedrive_deal_flow` read the CRMs'
own exports into the ``crm-pipeline`` template or your funnel; :func:`load_funnel` and
:func:`load_stage_map` read JSON or TOML definitions. The CLI's ``report`` command uses
the same functions.
"""

from salesfunnel.io._crm import (
    read_hubspot_stage_history,
    read_pipedrive_deal_flow,
    read_salesforce_history,
)
from salesfunnel.io._defs import load_funnel, load_stage_map
from salesfunnel.io._policy import one_value_per_entity
from salesfunnel.io._read import Loaded, load_events, read_events

__all__ = [
    "Loaded",
    "load_events",
    "load_funnel",
    "load_stage_map",
    "one_value_per_entity",
    "read_events",
    "read_hubspot_stage_history",
    "read_pipedrive_deal_flow",
    "read_salesforce_history",
]
