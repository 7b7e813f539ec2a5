"""Start-up imports only what start-up needs: the CLI, the settings, the apps and the URLconf (which every
command's system checks load) leave the data-science libraries to the code that computes with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "duckdb", "ibis", "sklearn", "lightgbm", "scipy", "pyarrow", "segno", "joblib")


def _loaded_after(code: str) -> list[str]:
    program = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "plumbline.settings"}
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout.splitlines()[-1])


def test_cli_settings_apps_and_urlconf_import_no_heavy_library():
    # Given a fresh interpreter that does what `plumbline token create` does before its handler runs
    code = ("import plumbline.cli, django\ndjango.setup()\n"
            "from django.urls import get_resolver\nget_resolver().url_patterns\n"
            "from plumbline.api import api\napi.urls")

    # Then none of the heavy libraries is loaded
    assert _loaded_after(code) == []


def test_system_checks_import_no_heavy_library():
    # When every system check runs (as before any management command that requires them)
    code = "import django\ndjango.setup()\nfrom django.core.management import call_command\ncall_command('check')"

    assert _loaded_after(code) == []


def test_path_file_attribution_command_loads_no_engine_and_no_app():
    # Given the command module the CLI runs for `plumbline attribution FILE` without django.setup()
    code = "import plumbline.analytics.management.commands.attribution"

    # Then neither Ibis nor DuckDB is loaded (pandas and pyarrow read and print the path file)
    loaded = _loaded_after(code + "\nfrom django.apps import apps\nassert not apps.ready")
    assert [m for m in loaded if m in ("ibis", "duckdb", "sklearn", "lightgbm", "scipy")] == []
