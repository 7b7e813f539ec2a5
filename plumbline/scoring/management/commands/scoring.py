"""`plumbline scoring <subcommand>`: the predictive model from the command line.

Subcommands live in SUBCOMMANDS (name -> Subcommand); adding one is a new entry with its arguments and
handler, nothing else changes.

`plumbline scoring evaluate FILE.csv --target COLUMN [--positive VALUE] [--folds K] [--seed S]
[--exclude COLUMN ...] [--model auto|lightgbm|logistic] [--format text|json]` cross-validates the predictive
model and the Odoo-style naive-Bayes baseline on any labelled CSV. Text prints one line per method; json
prints one object. Fold progress and data warnings go to stderr.

`plumbline scoring train [--cut YYYY-MM-DD | --horizon-days N] [--folds K] [--seed S] [--model KIND]` trains
on this instance's own history (contacts known before the cut; label: became a customer after it), prints the
cross-validated figures of the model and of naive Bayes, stores the version and makes it the active one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.errors import DomainError
from plumbline.scoring.predictive import KINDS, UnusableTrainingData, evaluate_table, read_table
from plumbline.scoring.predictive.actions import do_train_model


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[CommandParser], None]
    handle: Callable[[BaseCommand, dict[str, Any]], None]


def _evaluate_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", help="CSV file with one row per lead and a label column.")
    parser.add_argument("--target", required=True, help="The label column.")
    parser.add_argument("--positive", help="The label value that counts as success (default: detected).")
    parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (default 5).")
    parser.add_argument("--seed", type=int, default=0, help="Random seed for folds and models (default 0).")
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="COLUMN",
        help="Leave a column out of the features (repeat, or separate with commas).",
    )
    parser.add_argument("--model", choices=KINDS, default="auto", help="Model family (default: auto).")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _evaluate(command: BaseCommand, options: dict[str, Any]) -> None:
    exclude = [name.strip() for value in options["exclude"] for name in value.split(",") if name.strip()]

    def progress(fold: int, folds: int, seconds: float) -> None:
        command.stderr.write(f"fold {fold}/{folds} done in {seconds:.1f}s")

    try:
        frame = read_table(options["file"])
        report = evaluate_table(
            frame, target=options["target"], positive=options["positive"], exclude=exclude,
            folds=options["folds"], seed=options["seed"], kind=options["model"], progress=progress,
        )
    except UnusableTrainingData as exc:
        raise CommandError(exc.message) from exc
    for warning in report["warnings"]:
        command.stderr.write(f"warning: {warning}")
    if options["format"] == "json":
        command.stdout.write(json.dumps(report))
        return
    command.stderr.write(
        f"{report['rows']} rows, positive {report['positive_label']!r} at {report['positive_rate']:.2%}, "
        f"{report['folds']}-fold stratified CV, seed {report['seed']}"
    )
    kinds = report["model"]["kinds"]
    chosen = ", ".join(f"{kind} x{kinds.count(kind)}" for kind in sorted(set(kinds)))
    command.stdout.write(_line("model", report["model"]) + f"  [{chosen}]")
    command.stdout.write(_line("naive_bayes", report["naive_bayes"]))


def _line(name: str, figures: dict[str, Any]) -> str:
    top = figures["calibration"][-1]
    # An AUC that measures no ranking (every held-out row of a fold got one probability) reads n/a, as on the
    # model page; its reason is printed among the warnings.
    auc = "n/a   " if figures.get("auc_note") else f"{figures['auc']:.4f}"
    return (
        f"{name:<12} AUC {auc}  log loss {figures['log_loss']:.4f}  Brier {figures['brier']:.4f}  "
        f"ECE {figures['ece']:.4f}  top decile predicted {top['mean_predicted']:.3f} "
        f"observed {top['observed_rate']:.3f}"
    )


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD.") from exc


def _train_arguments(parser: CommandParser) -> None:
    cut = parser.add_mutually_exclusive_group()
    cut.add_argument("--cut", type=_date, help="Time cut, YYYY-MM-DD: features before it, outcome after it.")
    cut.add_argument("--horizon-days", type=int, help="Time cut this many days before now (default 120).")
    parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (default 5).")
    parser.add_argument("--seed", type=int, default=0, help="Random seed for folds and models (default 0).")
    parser.add_argument("--model", choices=KINDS, default="auto", help="Model family (default: auto).")


def _train(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        model = do_train_model(cut=options["cut"], horizon_days=options["horizon_days"], folds=options["folds"],
                               seed=options["seed"], kind=options["model"])
    except DomainError as exc:
        raise CommandError(exc.message) from exc
    metrics = model.metrics
    for warning in metrics["warnings"]:
        command.stderr.write(f"warning: {warning}")
    for feature, why in metrics["left_out"].items():
        command.stderr.write(f"left out {feature}: {why}")
    command.stdout.write(
        f"Trained model v{model.number} ({model.kind}) on {model.rows} contacts known before "
        f"{model.cut_at:%Y-%m-%d}: {model.positives} became customers ({model.positive_rate:.2%}); "
        f"{metrics['folds']}-fold stratified CV, seed {metrics['seed']}"
    )
    command.stdout.write(_line("model", metrics["model"]))
    command.stdout.write(_line("naive_bayes", metrics["naive_bayes"]))
    command.stdout.write(f"Model v{model.number} is now active.")


SUBCOMMANDS: dict[str, Subcommand] = {
    "evaluate": Subcommand(
        help="Cross-validate the predictive model and the naive-Bayes baseline on a labelled CSV.",
        add_arguments=_evaluate_arguments,
        handle=_evaluate,
    ),
    "train": Subcommand(
        help="Train the predictive model on this instance's history, store the version and activate it.",
        add_arguments=_train_arguments,
        handle=_train,
    ),
}


class Command(BaseCommand):
    help = "Predictive lead scoring: " + ", ".join(SUBCOMMANDS) + "."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            subcommand.add_arguments(subparsers.add_parser(name, help=subcommand.help))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["subcommand"]].handle(self, options)
