"""Readers for the stage-history exports of common CRMs.

Each finds its columns by the names the CRM uses (API names and report/export labels),
guesses the time form from the first value (ISO 8601, epoch milliseconds, US report
dates), and maps the CRM's stage names onto the funnel through its stage aliases (the
``crm-pipeline`` template knows the default stages of Salesforce, HubSpot and Pipedrive)
and an optional ``stage_map``.

CRM exports write times without a zone more often than not (reports are in the
user's time zone); these readers take such times as UTC by default (``naive="utc"``),
while :func:`~salesfunnel.io.read_events` refuses them unless asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from salesfunnel.errors import InputFileError
from salesfunnel.io._convert import to_objects
from salesfunnel.io._files import CsvOptions, check_path, header_of
from salesfunnel.io._read import WIDE_PATTERNS, Loaded, load_events
from salesfunnel.model import Funnel
from salesfunnel.templates import get as get_template

__all__ = ["load_hubspot", "load_pipedrive", "load_salesforce", "read_hubspot_stage_history",
           "read_pipedrive_deal_flow", "read_salesforce_history"]

_SF = {
    "entity": ("OpportunityId", "Opportunity ID", "Opportunity Id", "Opportunity: ID"),
    "stage": ("StageName", "Stage Name", "To Stage", "Stage"),
    "ts": ("CreatedDate", "Created Date", "Edit Date", "Last Modified Date", "Date"),
    "amount": ("Amount", "Amount (converted)"),
    "probability": ("Probability", "Probability (%)"),
    "forecast_category": ("ForecastCategory", "Forecast Category", "To Forecast Category",
                          "ForecastCategoryName"),
}
_HS = {
    "entity": ("hs_object_id", "Record ID", "Deal ID", "deal_id", "dealId", "objectId", "id"),
    "stage": ("dealstage", "Deal Stage", "value", "stage"),
    "ts": ("timestamp", "date_entered", "Timestamp", "change_timestamp", "updated_at"),
    "amount": ("amount", "Amount"),
    "probability": ("hs_deal_stage_probability", "Deal probability", "Deal Stage Probability"),
    "forecast_category": ("hs_manual_forecast_category", "Forecast category"),
}
_PD = {
    "entity": ("item_id", "deal_id", "Deal ID", "Deal - ID"),
    "field": ("field_key", "Field key"),
    "stage": ("new_value_formatted", "additional_data.new_value_formatted",
              "additional_data__new_value_formatted", "new_value", "New value"),
    "ts": ("log_time", "Log time", "timestamp"),
    "amount": ("value", "Deal - Value"),
}


def _pick(header: Sequence[str], names: Sequence[str]) -> str | None:
    folded = {h.casefold(): h for h in header}
    for n in names:
        if n in header:
            return n
        if n.casefold() in folded:
            return folded[n.casefold()]
    return None


def _need(header: Sequence[str], names: Sequence[str], role: str, source: str, crm: str
          ) -> str:
    found = _pick(header, names)
    if found is None:
        listed = ", ".join(repr(h) for h in header)
        raise InputFileError(
            f"{source}: no {role} column of a {crm} export (expected one of "
            f"{', '.join(repr(n) for n in names)}); the file has {len(header)} columns: "
            f"{listed}")
    return found


def _funnel(funnel: Funnel | None) -> Funnel:
    return get_template("crm-pipeline") if funnel is None else funnel


def load_salesforce(path: str | os.PathLike[str], funnel: Funnel | None = None, *,
                    stage_map: Mapping[str, str] | None = None,
                    on_invalid: Literal["raise", "drop"] = "raise",
                    naive: Literal["raise", "utc"] = "utc", time_format: str = "auto",
                    segments: Sequence[str] = ()) -> Loaded:
    """:func:`read_salesforce_history` with what was dropped (a :class:`Loaded`)."""
    p = check_path(path)
    header = header_of(p, CsvOptions())
    cols = {role: _pick(header, names) for role, names in _SF.items()}
    for role in ("entity", "stage", "ts"):
        cols[role] = _need(header, _SF[role], role, p.name, "Salesforce")
    deleted = _pick(header, ("IsDeleted", "Deleted"))

    def not_deleted(data: Mapping[str, Any]) -> Any:
        flags = to_objects(data[str(deleted)])
        return np.array([str(v).strip().lower() not in ("true", "1") for v in flags],
                        dtype=np.bool_)

    return load_events(
        p, _funnel(funnel), entity=str(cols["entity"]), stage=cols["stage"], ts=cols["ts"],
        amount=cols["amount"], probability=cols["probability"],
        forecast_category=cols["forecast_category"], segments=segments,
        stage_map=stage_map, time_format=time_format, probability_scale=100.0,
        naive=naive, on_invalid=on_invalid,
        _keep_rows=None if deleted is None else not_deleted,
        _extra=() if deleted is None else (deleted,))


def read_salesforce_history(path: str | os.PathLike[str], funnel: Funnel | None = None, *,
                            stage_map: Mapping[str, str] | None = None,
                            on_invalid: Literal["raise", "drop"] = "raise",
                            naive: Literal["raise", "utc"] = "utc", time_format: str = "auto",
                            segments: Sequence[str] = ()) -> Any:
    """Read a Salesforce opportunity stage history (``OpportunityHistory``) export.

    One row per change of an opportunity: the columns ``OpportunityId``, ``StageName``,
    ``CreatedDate`` (when the change happened), ``Amount``, ``Probability`` (percent)
    and ``ForecastCategory`` as the API, Data Loader and Workbench export them, or the
    report labels (``Opportunity ID``, ``Stage``/``To Stage``, ``Created Date``/``Edit
    Date``, ``Probability (%)``, ``Forecast Category``). Report dates such as
    ``1/8/2024, 9:15 AM`` or ``1/8/2024`` and API times such as
    ``2024-01-08T09:15:00.000+0000`` are recognised, amounts may use decimal commas,
    a blank amount is unknown. ``Probability`` becomes the log's per-event
    ``probability`` (so the weighted pipeline uses it), ``ForecastCategory`` the
    segment ``"forecast_category"``. Rows with ``IsDeleted`` true (in the Recycle Bin)
    are skipped.

    Parameters
    ----------
    path : str or path-like
        The CSV (or Parquet) export.
    funnel : Funnel, optional
        Default: the ``crm-pipeline`` template, whose stage aliases include
        Salesforce's default stages (Prospecting ... Closed Won, Closed Lost).
    stage_map : mapping of str to str, optional
        Your own stage names -> stages of ``funnel``.
    on_invalid : {"raise", "drop"}
        A bad row stops the read (one line naming the row and column), or is dropped.
    naive : {"raise", "utc"}
        Times without a zone (report exports): read as UTC (default) or refused.
    time_format : str
        ``"auto"`` (from the first value) or a :func:`~datetime.datetime.strptime`
        format.
    segments : sequence of str
        Other columns to keep as segments (``"Owner"``, ``"Type"``, ...).

    Returns
    -------
    EventLog

    Raises
    ------
    InputFileError
        A column missing (every column of the file is listed) or a bad row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "history.csv"
    >>> _ = p.write_text(
    ...     "OpportunityId,StageName,Amount,Probability,ForecastCategory,CreatedDate\\n"
    ...     "006A,Prospecting,,10,Pipeline,\\"1/8/2024, 9:15 AM\\"\\n"
    ...     "006A,Closed Won,\\"25000,00\\",100,Closed,\\"2/1/2024, 4:30 PM\\"\\n")
    >>> log = read_salesforce_history(p)
    >>> [log.stage_names[s] for s in log.stage], log.probability.tolist()
    (['leads', 'contracts'], [0.1, 1.0])
    """
    return load_salesforce(path, funnel, stage_map=stage_map, on_invalid=on_invalid,
                           naive=naive, time_format=time_format, segments=segments).log


def load_hubspot(path: str | os.PathLike[str], funnel: Funnel | None = None, *,
                 stage_map: Mapping[str, str] | None = None,
                 on_invalid: Literal["raise", "drop"] = "raise",
                 naive: Literal["raise", "utc"] = "utc", segments: Sequence[str] = ()
                 ) -> Loaded:
    """:func:`read_hubspot_stage_history` with what was dropped (a :class:`Loaded`)."""
    p = check_path(path)
    header = header_of(p, CsvOptions())
    wide = [h for h in header if any(pat.match(h) for pat in WIDE_PATTERNS)]
    cols = {role: _pick(header, names) for role, names in _HS.items()}
    entity = _need(header, _HS["entity"], "deal id", p.name, "HubSpot")
    common: dict[str, Any] = {
        "entity": entity, "amount": cols["amount"], "probability": cols["probability"],
        "forecast_category": cols["forecast_category"], "segments": segments,
        "stage_map": stage_map, "naive": naive, "on_invalid": on_invalid,
        "unit": "auto", "time_format": "auto",
    }
    if wide:
        return load_events(p, _funnel(funnel), layout="wide", **common)
    stage = _need(header, _HS["stage"], "deal stage", p.name, "HubSpot")
    ts = _need(header, _HS["ts"], "timestamp", p.name, "HubSpot")
    return load_events(p, _funnel(funnel), stage=stage, ts=ts, **common)


def read_hubspot_stage_history(path: str | os.PathLike[str], funnel: Funnel | None = None,
                               *, stage_map: Mapping[str, str] | None = None,
                               on_invalid: Literal["raise", "drop"] = "raise",
                               naive: Literal["raise", "utc"] = "utc",
                               segments: Sequence[str] = ()) -> Any:
    """Read a HubSpot deal stage history, long or wide.

    - **wide** (a deals export): one row per deal with a column per stage holding when
      the deal entered it: the properties ``hs_date_entered_<stage id>`` (or
      ``hs_v2_date_entered_<stage id>``) or their export labels ``Date entered
      "<Stage> (<Pipeline>)"``; the deal id is ``hs_object_id`` or ``Record ID``.
    - **long**: one row per stage change (the ``dealstage`` property history): a deal
      id, ``dealstage`` (or ``value``) and ``timestamp`` (or ``date_entered``).

    Times may be epoch milliseconds (as the API gives them), ISO 8601 or export dates
    such as ``2024-01-08 09:15``; stage ids (``appointmentscheduled``, ``closedwon``)
    and labels (``Appointment Scheduled``) are both aliases in ``crm-pipeline``.
    ``amount``, ``hs_deal_stage_probability`` (0..1) and ``hs_manual_forecast_category``
    are read when present.

    Parameters
    ----------
    path : str or path-like
        The CSV (or Parquet) export.
    funnel : Funnel, optional
        Default: the ``crm-pipeline`` template.
    stage_map, on_invalid, naive, segments
        As in :func:`read_salesforce_history`; custom pipeline stage ids (numbers such
        as ``"17915773"``) need a ``stage_map``.

    Returns
    -------
    EventLog

    Raises
    ------
    InputFileError
        No deal id column, neither stage date columns nor stage and time columns (every
        column of the file is listed), or a bad row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "deals.csv"
    >>> _ = p.write_text(
    ...     "hs_object_id,amount,hs_date_entered_appointmentscheduled,"
    ...     "hs_date_entered_closedwon\\n"
    ...     "101,1200,1704705300000,1706801400000\\n102,,1704791700000,\\n")
    >>> log = read_hubspot_stage_history(p)
    >>> len(log), log.n_entities, [log.stage_names[s] for s in log.stage]
    (3, 2, ['leads', 'leads', 'contracts'])
    """
    return load_hubspot(path, funnel, stage_map=stage_map, on_invalid=on_invalid,
                        naive=naive, segments=segments).log


def load_pipedrive(path: str | os.PathLike[str], funnel: Funnel | None = None, *,
                   stage_map: Mapping[str, str] | None = None,
                   on_invalid: Literal["raise", "drop"] = "raise",
                   naive: Literal["raise", "utc"] = "utc") -> Loaded:
    """:func:`read_pipedrive_deal_flow` with what was dropped (a :class:`Loaded`)."""
    p = check_path(path)
    header = header_of(p, CsvOptions())
    entity = _need(header, _PD["entity"], "deal id", p.name, "Pipedrive deal flow")
    field = _need(header, _PD["field"], "field key", p.name, "Pipedrive deal flow")
    stage = _need(header, _PD["stage"], "new value", p.name, "Pipedrive deal flow")
    ts = _need(header, _PD["ts"], "log time", p.name, "Pipedrive deal flow")

    def stage_changes(data: Mapping[str, Any]) -> Any:
        keys = to_objects(data[field])
        values = to_objects(data[stage])
        keep = np.zeros(len(keys), dtype=np.bool_)
        for i, (k, v) in enumerate(zip(keys, values, strict=True)):
            keep[i] = k == "stage_id" or (k == "status" and v in ("won", "lost"))
        return keep

    return load_events(p, _funnel(funnel), entity=entity, stage=stage, ts=ts,
                       stage_map=stage_map,
                       naive=naive, on_invalid=on_invalid, time_format="auto",
                       _keep_rows=stage_changes, _extra=[field])


def read_pipedrive_deal_flow(path: str | os.PathLike[str], funnel: Funnel | None = None, *,
                             stage_map: Mapping[str, str] | None = None,
                             on_invalid: Literal["raise", "drop"] = "raise",
                             naive: Literal["raise", "utc"] = "utc") -> Any:
    """Read Pipedrive deal flow: the ``dealChange`` records of ``/deals/{id}/flow``.

    Pipedrive has no stage-history CSV in its interface; its API's deal flow lists every
    field change of a deal, and ETL tools write those records as rows with the columns
    ``item_id`` (the deal), ``field_key``, ``old_value``, ``new_value`` and
    ``log_time`` (UTC, ``2024-01-08 09:15:00``), often with
    ``additional_data.new_value_formatted`` (the stage's name). Rows whose
    ``field_key`` is ``stage_id`` are stage changes (the stage's name, or its numeric
    id through ``stage_map``); ``status`` changes to ``won`` or ``lost`` close the
    deal. Other rows are skipped.

    Parameters
    ----------
    path : str or path-like
        The CSV (or Parquet) file of deal-flow records.
    funnel : Funnel, optional
        Default: the ``crm-pipeline`` template, whose aliases include Pipedrive's
        default stages (Lead In, Contact Made, Demo Scheduled, Proposal Made,
        Negotiations Started) and ``won``/``lost``.
    stage_map, on_invalid, naive
        As in :func:`read_salesforce_history`.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "flow.csv"
    >>> _ = p.write_text(
    ...     "item_id,field_key,old_value,new_value,log_time\\n"
    ...     "7,stage_id,1,2,2024-01-08 09:15:00\\n"
    ...     "7,title,a,b,2024-01-09 09:15:00\\n"
    ...     "7,status,open,won,2024-02-01 16:30:00\\n")
    >>> log = read_pipedrive_deal_flow(p, stage_map={"2": "Contact Made"})
    >>> [log.stage_names[s] for s in log.stage]
    ['follow-ups', 'contracts']
    """
    return load_pipedrive(path, funnel, stage_map=stage_map, on_invalid=on_invalid,
                          naive=naive).log
