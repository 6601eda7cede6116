"""A batch row carries the scored signals of ``studio inspect --json`` (``verdicts``), in JSON Lines and Parquet."""

from studio.api import ReportSection, Signal
from studio.batch.results import decode_parquet_row, encode_parquet_row
from studio.batch.tasks import empty_row, fill_from_section


def test_a_row_carries_each_signal_once_with_its_verdict_and_rate():
    row = empty_row("a.png")
    spectrum = Signal("forensics.spectrum.upsampling", "peaks", 12.5, "clear", 0.02)
    fill_from_section(row, ReportSection("Frequency spectrum", "no-peaks", "", data={"signal": "spectrum"},
                                         plugin="forensics", signals=[spectrum]))
    fill_from_section(row, ReportSection("Invisible watermark", "absent", "", plugin="watermark",
                                         signals=[Signal("watermark.sdxl", "SDXL", None, "not-run", 0.0), spectrum]))
    assert row["verdicts"] == [
        {"id": "forensics.spectrum.upsampling", "label": "peaks", "score": 12.5, "verdict": "clear",
         "false_positive_rate": 0.02},
        {"id": "watermark.sdxl", "label": "SDXL", "score": None, "verdict": "not-run", "false_positive_rate": 0.0}]
    assert decode_parquet_row(encode_parquet_row(row))["verdicts"] == row["verdicts"]


def test_a_signal_refuses_an_unknown_verdict():
    import pytest

    with pytest.raises(ValueError, match="verdict"):
        Signal("x", "x", 1.0, "fake")
