"""Reading a labelled table from disk, with errors a person can act on."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from plumbline.scoring.predictive.errors import UnusableTrainingData


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (delimiter sniffed among , ; tab |) with every column read as pandas infers it."""
    path = Path(path)
    if not path.is_file():
        raise UnusableTrainingData(f"No such file: {path}.", field="file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            sample = handle.read(64 * 1024)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig", low_memory=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise UnusableTrainingData(f"Cannot read {path} as CSV: {exc}", field="file") from exc
    if frame.empty:
        raise UnusableTrainingData(f"{path} has no data rows.", field="file")
    return frame
