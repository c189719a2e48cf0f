"""Property: any CRM-like export, long or wide, in any of its spellings and formats, reads
back as the funnel it was generated from, on both CSV engines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from salesfunnel import metrics
from salesfunnel.errors import InvalidParameterError
from salesfunnel.io import read_events
from salesfunnel.testing import GeneratedExport, crm_exports


@pytest.mark.parametrize("engine", ["pyarrow", "python"])
@given(export=crm_exports(max_deals=12))
def test_exports_read_back_as_their_funnel(engine: str, export: GeneratedExport) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = export.write(Path(folder) / "export.csv")
        log = read_events(path, export.funnel, engine=engine, **export.options)
    assert log.n_entities == export.deals
    assert metrics.conversion(log).counts == export.reached
    if log.amount is not None and len(log):
        assert (log.amount[~(log.amount != log.amount)] >= 0).all()


def test_crm_exports_checks_its_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="max_deals"):
        crm_exports(min_deals=5, max_deals=2)
