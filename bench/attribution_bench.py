"""Attribution side by side: Plumbline vs ChannelAttribution vs marketing-attribution-models (MAM).

Same synthetic journeys for every tool (30 channels, 1 to 12 touches, one row per journey), each
measurement in its own subprocess, timed from reading the CSV file to the per-channel result; peak memory
is that subprocess's maximum resident set (VmHWM from /proc/self/status). Run by hand:

    .venv/bin/python bench/attribution_bench.py --sizes 100000 1000000 --timeout 900

MAM 2.x has no Markov order above 1, so that cell is n/a; without the `bench` extra installed
(marketing-attribution-models) its cells read "error: No module named 'mam'".

Whole processes (the `plumbline attribution` command against a ChannelAttribution script, start-up and
imports included) on the same journeys grouped by path, timed from outside, e.g. with /usr/bin/time -v:

    .venv/bin/python bench/attribution_bench.py --write-grouped 1000000 /tmp/attr   # grouped_1000000.csv
    .venv/bin/python -m plumbline.cli attribution /tmp/attr/grouped_1000000.csv --model markov
    .venv/bin/python bench/attribution_bench.py --channelattribution /tmp/attr/grouped_1000000.csv markov
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _child import child_result  # bench/ is the script's folder, so on the path

CHANNELS = 30
TASKS = ("heuristics", "markov1", "markov3")
TOOLS = ("plumbline", "channelattribution", "mam")


def generate(n: int, directory: Path, seed: int = 2026) -> tuple[Path, Path]:
    """A ChannelAttribution path file and the same journeys in MAM's journey format."""
    rng = np.random.default_rng(seed)
    popularity = rng.dirichlet(np.ones(CHANNELS))
    lift = rng.normal(0, 0.6, size=CHANNELS)
    lengths = rng.integers(1, 13, size=n)
    codes = rng.choice(CHANNELS, size=int(lengths.sum()), p=popularity)
    rows = np.repeat(np.arange(n), lengths)
    score = np.bincount(rows, weights=lift[codes], minlength=n) - 1.5
    converted = (rng.random(n) < 1 / (1 + np.exp(-score))).astype(int)
    value = np.round(converted * rng.lognormal(4, 1, size=n), 2)
    names = np.array([f"channel_{i:02d}" for i in range(CHANNELS)], dtype=object)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    steps = names[codes]
    paths = [" > ".join(steps[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    frame = pd.DataFrame(
        {
            "path": paths,
            "total_conversions": converted,
            "total_conversion_value": value,
            "total_null": 1 - converted,
        }
    )
    path_file = directory / f"paths_{n}.csv"
    frame.to_csv(path_file, sep=";", index=False)
    times = [" > ".join(map(str, range(k - 1, -1, -1))) for k in lengths]
    mam_file = directory / f"mam_{n}.csv"
    pd.DataFrame(
        {"journey_id": np.arange(n), "path": paths, "time": times, "converted": converted, "value": value}
    ).to_csv(mam_file, index=False)
    return path_file, mam_file


def write_grouped(n: int, directory: Path) -> Path:
    """`generate(n)`'s journeys grouped by path (counts, values and nulls summed), as `grouped_<n>.csv`."""
    path_file, mam_file = generate(n, directory)
    mam_file.unlink()
    frame = pd.read_csv(path_file, sep=";")
    path_file.unlink()
    grouped = frame.groupby("path", sort=False, as_index=False).sum()
    grouped_file = directory / f"grouped_{n}.csv"
    grouped.to_csv(grouped_file, sep=";", index=False)
    return grouped_file


def channelattribution_process(path_file: Path, model: str) -> None:
    """The whole-process counterpart of `plumbline attribution FILE --model markov|all`: pandas.read_csv,
    then ChannelAttribution's Markov order 1 (and for "all" its heuristics too), the results printed."""
    import ChannelAttribution as ca

    data = pd.read_csv(path_file, sep=";")
    columns = {"var_path": "path", "var_conv": "total_conversions", "var_value": "total_conversion_value"}
    if model == "all":
        print(ca.heuristic_models(data, **columns, flg_pro=False).to_string(index=False))
    result = ca.markov_model(data, **columns, var_null="total_null", order=1, verbose=False, flg_pro=False)
    print(result.to_string(index=False))


def run_plumbline(task: str, path_file: Path, mam_file: Path) -> None:
    from plumbline.analytics import attribution

    paths = attribution.load(path_file)
    if task == "heuristics":
        for model in ("first", "last", "linear"):
            attribution.attribute(paths, model)
    else:
        attribution.attribute(paths, "markov", order=int(task[-1]))


def run_channelattribution(task: str, path_file: Path, mam_file: Path) -> None:
    import ChannelAttribution as ca

    data = pd.read_csv(path_file, sep=";")
    if task == "heuristics":
        ca.heuristic_models(
            data, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
        )
    else:
        ca.markov_model(
            data,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=int(task[-1]),
            verbose=False,
            flg_pro=False,
        )


def run_mam(task: str, path_file: Path, mam_file: Path) -> None:
    import mam

    if task == "markov3":
        raise NotImplementedError
    model = mam.MAM(
        pd.read_csv(mam_file),
        format_type="journey",
        channels_colname="path",
        journey_with_conv_colname="converted",
        user_id_colname="journey_id",
        time_till_conv_colname="time",
        conversion_value_colname="value",
    )
    if task == "heuristics":
        model.run_first_click()
        model.run_last_click()
        model.run_linear()
    else:
        model.run_markov()


def measure(tool: str, task: str, path_file: Path, mam_file: Path) -> None:
    """Child process: run one cell and print its time and peak memory as JSON."""
    runner = {"plumbline": run_plumbline, "channelattribution": run_channelattribution, "mam": run_mam}[tool]
    started = time.perf_counter()
    try:
        runner(task, path_file, mam_file)
    except NotImplementedError:
        print(json.dumps({"status": "n/a"}))
        return
    seconds = time.perf_counter() - started
    print(json.dumps({"status": "ok", "seconds": seconds, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux ru_maxrss survives exec and starts at the parent's
    resident size (here the generated journeys, ~0.9 GB at 1e6), so it would floor every cell at the
    parent's size; VmHWM belongs to the process's own address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cell(tool: str, task: str, path_file: Path, mam_file: Path, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", tool, task, str(path_file), str(mam_file)]
    return child_result(command, timeout, width=80)


def describe(result: dict) -> str:
    if result["status"] != "ok":
        return result["status"]
    return f"{result['seconds']:.2f} s, {result['peak_mb']:.0f} MB"


def ratio(ours: dict, theirs: dict) -> str:
    if ours.get("status") != "ok" or theirs.get("status") != "ok":
        return "-"
    return f"{ours['seconds'] / theirs['seconds']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print("| journeys | task | Plumbline | ChannelAttribution | MAM | time vs CA | time vs MAM |")
    print("|---:|---|---|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path_file, mam_file = generate(n, Path(tmp))
            for task in TASKS:
                results = {tool: cell(tool, task, path_file, mam_file, args.timeout) for tool in TOOLS}
                ours, ca, mam_result = results["plumbline"], results["channelattribution"], results["mam"]
                print(
                    f"| {n:,} | {task} | {describe(ours)} | {describe(ca)} | {describe(mam_result)} "
                    f"| {ratio(ours, ca)} | {ratio(ours, mam_result)} |",
                    flush=True,
                )
    # The machine may be shared: the load average tells how much the timings can be trusted.
    print("\nload average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        measure(sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--write-grouped":
        print(write_grouped(int(sys.argv[2]), Path(sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--channelattribution":
        channelattribution_process(Path(sys.argv[2]), sys.argv[3])
    else:
        main()
