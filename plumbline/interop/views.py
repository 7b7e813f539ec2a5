"""Import and export pages: upload, map columns, preview (dry run), import; download CSV exports."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plumbline.core.errors import DomainError
from plumbline.core.permissions import can
from plumbline.interop.actions import MODES, check_import_permission, do_import, guess_mapping
from plumbline.interop.csvfile import CsvRows, FileError
from plumbline.interop.exporters import EXPORTS, export_rows
from plumbline.interop.importers import IMPORTERS
from plumbline.interop.importers.base import ImportReport

MAX_UPLOAD = 200 * 1024 * 1024
KEPT_ERRORS = 500  # of a finished import's errors, kept in the session for its result page
RESOURCE = {kind: importer.resource for kind, importer in IMPORTERS.items()}


def _upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _allowed_kinds(user) -> list[str]:
    kinds = []
    for kind in IMPORTERS:
        try:
            check_import_permission(user, kind)
            kinds.append(kind)
        except DomainError:
            pass
    return kinds


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    kinds = _allowed_kinds(request.user)
    exports = [k for k in EXPORTS if can(request.user, "view", RESOURCE[k])]
    if (not kinds and not exports) or (request.method == "POST" and not kinds):
        return render(request, "interop/forbidden.html", status=403)
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind, upload = request.POST.get("kind", ""), request.FILES.get("file")
        if kind not in kinds:
            errors["kind"] = "Choose what to import." if kind not in IMPORTERS else "Your role may not import these."
        if upload is None:
            errors["file"] = "Choose a CSV file."
        elif upload.size > MAX_UPLOAD:
            errors["file"] = f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB."
        if not errors:
            token = uuid.uuid4().hex
            with open(_upload_dir() / f"{token}.csv", "wb") as out:
                for part in upload.chunks():
                    out.write(part)
            request.session[f"import-{token}"] = {"kind": kind, "name": upload.name[:200]}
            return redirect("interop:import_map", token=token)
    return render(request, "interop/start.html", {"kinds": kinds, "exports": exports, "errors": errors},
                  status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, token: str) -> HttpResponse:
    job = request.session.get(f"import-{token}")
    path = _upload_dir() / f"{token}.csv"
    if not job or not token.isalnum() or not path.exists():
        if request.session.get(f"import-done-{token}"):  # the import ran: a refresh or a back button lands here
            return redirect("interop:import_done", token=token)
        return _gone(request)
    kind = job["kind"]
    if kind not in _allowed_kinds(request.user):
        return render(request, "interop/forbidden.html", status=403)
    context = {"token": token, "kind": kind, "name": job["name"], "fields": IMPORTERS[kind].fields,
               "required": IMPORTERS[kind].required, "modes": MODES}
    try:
        with open(path, "rb") as f:
            header = CsvRows(f).header
    except FileError as exc:
        return render(request, "interop/map.html", {**context, "file_error": exc.message}, status=400)
    mapping = guess_mapping(kind, header)
    mode = "all-or-nothing"
    report = None
    if request.method == "POST":
        mapping = {c: request.POST.get(f"map-{i}", "") for i, c in enumerate(header)}
        mode = request.POST.get("mode", mode)
        commit = request.POST.get("action") == "import"
        try:
            with open(path, "rb") as f:
                report = do_import(by=request.user, kind=kind, stream=f, mapping=mapping, mode=mode,
                                   dry_run=not commit, filename=job["name"])
        except DomainError as exc:
            return render(request, "interop/map.html", {**context, "file_error": exc.message}, status=400)
        if commit and not report.rejected and not report.file_error:
            path.unlink(missing_ok=True)
            request.session.pop(f"import-{token}", None)
            _keep_result(request, token, job["name"], report)
            return redirect("interop:import_done", token=token)
    columns = [(i, c, mapping.get(c, "")) for i, c in enumerate(header)]
    bad = report is not None and (report.file_error or report.rejected)
    return render(request, "interop/map.html", {**context, "columns": columns, "mode": mode, "report": report},
                  status=400 if bad else 200)


def _keep_result(request: HttpRequest, token: str, name: str, report: ImportReport) -> None:
    """The result page is a GET of the stored report (post/redirect/get), so a refresh shows it again instead of
    posting the import twice or finding the upload gone."""
    result = report.as_dict()
    result["more_errors"] = max(0, len(result["errors"]) - KEPT_ERRORS)
    result["errors"] = result["errors"][:KEPT_ERRORS]
    request.session[f"import-done-{token}"] = {"name": name, "report": result}


@login_required
def import_done(request: HttpRequest, token: str) -> HttpResponse:
    done = request.session.get(f"import-done-{token}")
    if not done:
        return _gone(request)
    report = done["report"]
    return render(request, "interop/done.html", {"kind": report["kind"], "name": done["name"], "report": report})


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "interop/gone.html", status=404)


@login_required
def export_csv(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EXPORTS:
        raise Http404("No such export.")
    if not can(request.user, "view", RESOURCE[kind]):
        return render(request, "interop/forbidden.html", status=403)
    response = StreamingHttpResponse(export_rows(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="plumbline-{kind}.csv"'
    return response
