import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(*args):
    out = StringIO()
    call_command("attribution", *map(str, args), stdout=out)
    return out.getvalue()


def test_markov_json_has_one_row_per_channel_with_removal_effect(data_csv):
    rows = json.loads(_run(data_csv, "--model", "markov", "--format", "json"))
    assert [row["channel"] for row in rows][:3] == ["alpha", "beta", "delta"]
    assert len(rows) == 12
    assert set(rows[0]) == {"channel", "conversions", "value", "removal_effect"}
    assert sum(row["conversions"] for row in rows) == pytest.approx(19785.0, rel=1e-12)


def test_all_models_side_by_side_as_csv(data_csv):
    header, *lines = _run(data_csv, "--model", "all", "--format", "csv").splitlines()
    columns = header.split(",")
    assert columns[0] == "channel"
    for model in (
        "first",
        "last",
        "last-non-direct",
        "linear",
        "time-decay",
        "u-shaped",
        "w-shaped",
        "markov",
    ):
        assert f"{model}_conversions" in columns and f"{model}_value" in columns
    assert "markov_removal_effect" in columns and "shapley_conversions" in columns
    assert len(lines) == 12


def test_first_touch_table_with_custom_separator(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path,total_conversions,total_conversion_value\nseo | ads,3,30\nads,1,5\n")
    assert _run(file, "--model", "first", "--sep", "|").splitlines() == [
        "channel  conversions  value",
        "    ads        1.000  5.000",
        "    seo        3.000 30.000",
    ]


def test_missing_file_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run(tmp_path / "missing.csv")


def test_missing_columns_are_a_clear_command_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("path;conversions\na;1\n")
    with pytest.raises(CommandError, match="missing column"):
        _run(bad)


def test_bad_order_is_a_clear_command_error(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("path;total_conversions\na;1\n")
    with pytest.raises(CommandError, match="--order must be from 1 to 4"):
        _run(good, "--model", "markov", "--order", "5")


# Run in a fresh interpreter: the command tunes its own process (the allocator, huge pages).
HEAP_AND_HUGE_PAGES = """
import sys
import numpy as np
from plumbline.cli import main

main(["attribution", sys.argv[1], "--model", "markov"])
block = np.ones(8 << 20)  # 64 MiB, far above glibc's default mmap threshold
with open("/proc/self/maps") as maps:
    heap = [line.split()[0] for line in maps if line.rstrip().endswith("[heap]")]
start, end = (int(bound, 16) for bound in heap[0].split("-"))
with open("/proc/self/status") as status:
    thp = [line.split()[1] for line in status if line.startswith("THP_enabled:")]
print("IN_HEAP" if start <= block.ctypes.data < end else "MAPPED", "THP", thp[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator and Linux's prctl")
def test_the_command_reuses_freed_memory_without_huge_pages(data_csv):
    """Big numpy temporaries come from the heap (reused, not mapped and zeroed afresh each time) and the
    process asks for no transparent huge pages: on a shared VM those cost 0.2-7 s of system time per run."""
    done = subprocess.run(
        [sys.executable, "-c", HEAP_AND_HUGE_PAGES, str(data_csv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "IN_HEAP THP 0"


def test_markov_order_1_on_a_path_file_runs_without_scipy(data_csv):
    """Importing scipy.sparse is ~0.1 s, a tenth of the whole command on a million paths; a small chain
    is counted and solved with numpy alone."""
    code = (
        "import sys\nfrom plumbline.cli import main\n"
        "main(['attribution', sys.argv[1], '--model', 'markov'])\n"
        "print('SCIPY', 'scipy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_csv)], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines()[-1] == "SCIPY False"
