"""`plumbline scoring evaluate FILE.csv --target COLUMN`: output shapes and refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def leads_csv(tmp_path):
    rng = np.random.default_rng(3)
    rows = 300
    visits = rng.poisson(2.0, rows)
    source = rng.choice(["ads", "referral", "event"], rows)
    won = rng.random(rows) < 1 / (1 + np.exp(-(visits - 2.5 + (source == "referral"))))
    path = tmp_path / "leads.csv"
    pd.DataFrame({"id": range(rows), "visits": visits, "source": source, "stage": np.where(won, "Won", "Lost")}).to_csv(
        path, index=False
    )
    return path


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("scoring", "evaluate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_text_output_is_one_line_per_method_with_progress_on_stderr(leads_csv):
    out, err = _run(str(leads_csv), "--target", "stage", "--folds", "3")

    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["model", "naive_bayes"]
    for line in lines:
        assert all(word in line for word in ("AUC", "log loss", "Brier", "ECE", "top decile predicted"))
    assert err.splitlines()[:3] == [line for line in err.splitlines() if line.startswith("fold ")]
    assert [line.split(" done")[0] for line in err.splitlines()[:3]] == ["fold 1/3", "fold 2/3", "fold 3/3"]
    assert "300 rows, positive 'Won' at" in err


def test_json_output_is_one_object_with_both_methods(leads_csv):
    out, _ = _run(str(leads_csv), "--target", "stage", "--positive", "Won", "--folds", "3", "--seed", "2", "--format", "json")

    report = json.loads(out)
    assert set(report) >= {"model", "naive_bayes", "rows", "positive_rate"}
    assert report["rows"] == 300
    assert report["folds"] == 3
    assert report["seed"] == 2
    assert report["positive_label"] == "Won"
    assert report["columns"]["dropped"] == {"id": "identifier (distinct integers: row number or id)"}
    for name in ("model", "naive_bayes"):
        assert set(report[name]) >= {"auc", "log_loss", "brier", "ece", "calibration"}
        assert len(report[name]["calibration"]) == 10


def test_the_same_seed_gives_the_same_figures(leads_csv):
    first, _ = _run(str(leads_csv), "--target", "stage", "--folds", "2", "--format", "json")
    second, _ = _run(str(leads_csv), "--target", "stage", "--folds", "2", "--format", "json")
    assert json.loads(first)["model"] == json.loads(second)["model"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "stage"], "No such file: "),
        (["--target", "outcome"], "Target column 'outcome' is not in the table"),
        (["--target", "stage", "--positive", "Maybe"], "--positive 'Maybe' is not a value of 'stage'"),
        (["--target", "stage", "--folds", "1"], "--folds must be at least 2."),
        (["--target", "stage", "--exclude", "visits,nope"], "Excluded column\\(s\\) not in the table: nope"),
    ],
)
def test_bad_input_is_refused_with_a_message(leads_csv, args, message):
    file = str(leads_csv.parent / "missing.csv") if message.startswith("No such file") else str(leads_csv)
    with pytest.raises(CommandError, match=message):
        _run(file, *args)


def test_a_single_class_target_exits_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "one_class.csv"
    pd.DataFrame({"visits": [1, 2, 3, 4], "stage": ["Lost"] * 4}).to_csv(path, index=False)

    result = subprocess.run(
        [sys.executable, "-m", "plumbline.cli", "scoring", "evaluate", str(path), "--target", "stage"],
        capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "CommandError: Target column 'stage' has one class only ('Lost'); a model needs both outcomes."
    )


def test_an_auc_that_ranks_nothing_prints_as_na_with_the_reason(tmp_path):
    # given 8 perfectly separable rows: in 3 folds LightGBM gives every held-out row of a fold one probability
    rows = 8
    converted = np.arange(rows) >= rows // 2
    path = tmp_path / "tiny.csv"
    pd.DataFrame({"visits": np.where(converted, 5, 0) + np.arange(rows) % 5,
                  "converted": np.where(converted, "yes", "no")}).to_csv(path, index=False)
    out, err = _run(str(path), "--target", "converted", "--folds", "3", "--model", "lightgbm")
    assert out.splitlines()[0].startswith("model        AUC n/a ")
    assert "nothing was ranked there, so the AUC is not a measure of ranking (n/a)" in err
