"""Pages: the attribution report (models side by side), campaign ROI, funnels. Every table exports as CSV
(`?format=csv&table=<name>`); charts are server-rendered SVG. Readable by every role that may view
campaigns."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plumbline.analytics.params import (
    DIMENSIONS,
    EVENTS,
    LEVELS,
    MODEL_LABELS,
    MODEL_NAMES,
    AttributionParams,
    InvalidParameters,
    attribution_params,
    parse_attribution_params,
)
from plumbline.core.charts import Series, grouped_bars, stacked_bars
from plumbline.core.pages import page
from plumbline.crm.models import Pipeline
from plumbline.definitions.labels import label

if TYPE_CHECKING:
    from plumbline.analytics.funnels import FunnelParams

# The report modules (crm_source, funnels, roi) compute with Ibis, pandas and pyarrow: each page imports the
# one it runs, so loading the URLconf (every command's system checks, a worker's start) does not.
MAX_CHART_ROWS = 15


def _raw(request: HttpRequest) -> dict[str, Any]:
    raw: dict[str, Any] = {k: v for k, v in request.GET.items() if k not in ("models", "format", "table")}
    models = [m for value in request.GET.getlist("models") for m in value.split(",") if m]
    if models:
        raw["models"] = models
    return raw


def _csv(name: str, header: Sequence[str], rows: list[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _parse(request: HttpRequest, *, default_models: tuple[str, ...] | None = None) -> tuple[AttributionParams, list]:
    """The parameters as chosen, bad values replaced by defaults, and the errors to show above the form."""
    raw = _raw(request)
    if default_models and not raw.get("models"):
        raw["models"] = list(default_models)
    params, errors = parse_attribution_params(raw)
    return params, [e.as_dict() for e in errors]


def _form_context(request: HttpRequest, params: AttributionParams, errors: list) -> dict[str, Any]:
    return {
        "params": params, "errors": errors, "events": EVENTS, "levels": LEVELS, "dimensions": DIMENSIONS,
        "model_choices": [(m, MODEL_LABELS[m]) for m in MODEL_NAMES], "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""), "query": request.GET.urlencode(), "typed": request.GET,
    }


@page("campaign")
def attribution_page(request: HttpRequest) -> HttpResponse:
    params, errors = _parse(request)
    context = _form_context(request, params, errors)
    if errors:
        return render(request, "analytics/attribution.html", context, status=422)
    from plumbline.analytics import crm_source

    report = crm_source.report(params)
    models = list(params.models)
    if request.GET.get("format") == "csv":
        header = [params.dimension] + [f"{m}_{k}" for m in models for k in ("conversions", "value")]
        rows = [[r["label"]] + [r["credits"][m][k] for m in models for k in ("conversions", "value")]
                for r in report["rows"]]
        return _csv(f"attribution-{params.event}-by-{params.dimension}", header, rows)
    if params.dimension == "channel":  # the CSV above keeps the codes; people read the labels
        for r in report["rows"]:
            r["label"] = label(r["label"], "channel")
    shown = report["rows"][:MAX_CHART_ROWS]
    measure = "conversions" if params.event in ("mql",) else "value"
    chart = grouped_bars([r["label"] for r in shown],
                         [Series(MODEL_LABELS[m], [r["credits"][m][measure] for r in shown]) for m in models],
                         title=f"Credited {measure} by {params.dimension}, models side by side")
    context.update(report=report, models=models, chart=chart, measure=measure,
                   model_columns=[(m, MODEL_LABELS[m]) for m in models],
                   has_markov=any(m.startswith("markov") for m in models))
    return render(request, "analytics/attribution.html", context)


@page("campaign")
def roi_page(request: HttpRequest) -> HttpResponse:
    params, errors = _parse(request, default_models=("linear",))
    context = _form_context(request, params, errors)
    if errors:
        return render(request, "analytics/roi.html", context, status=422)
    from plumbline.analytics import roi

    rows = roi.campaign_roi(params)
    if request.GET.get("format") == "csv":
        keys = ["campaign", "channel", "currency", "cost", "mqls", "cost_per_mql", "won_deals", "pipeline",
                "revenue", "roi", "pipeline_to_cost"]
        return _csv("campaign-roi", keys, [[r[k] for k in keys] for r in rows])
    ranked = sorted(rows, key=lambda r: (-r["revenue"], -r["pipeline"], r["campaign"]))[:MAX_CHART_ROWS]
    chart = grouped_bars([r["campaign"] for r in ranked],
                         [Series("Cost", [float(r["cost"]) for r in ranked]),
                          Series("Pipeline", [float(r["pipeline"]) for r in ranked]),
                          Series("Revenue", [float(r["revenue"]) for r in ranked])],
                         title="Cost, credited pipeline and revenue per campaign")
    context.update(rows=rows, chart=chart, model=params.models[0], model_label=MODEL_LABELS[params.models[0]])
    return render(request, "analytics/roi.html", context)


FUNNEL_TABLES = ("lifecycle", "deals", "speed", "attention")


@page("campaign")
def funnels_page(request: HttpRequest) -> HttpResponse:
    from plumbline.analytics import funnels

    raw = _raw(request)
    errors: list = []
    try:
        fparams = funnels.funnel_params(raw)
    except InvalidParameters as exc:
        errors += [e.as_dict() for e in exc.errors]
        fparams = funnels.FunnelParams()
    try:
        aparams = attribution_params({k: v for k, v in raw.items() if k in ("models", "since", "until")})
    except InvalidParameters as exc:
        errors += [e.as_dict() for e in exc.errors if e.field not in ("since", "until")]
        aparams = AttributionParams()
    context = {"errors": errors, "fparams": fparams, "groups": funnels.GROUPS,
               "model_choices": [(m, MODEL_LABELS[m]) for m in MODEL_NAMES],
               "model": aparams.models[0], "model_label": MODEL_LABELS[aparams.models[0]], "pipelines": Pipeline.objects.order_by("name"),
               "since": request.GET.get("since", ""), "until": request.GET.get("until", ""),
               "query": request.GET.urlencode()}
    if errors:
        return render(request, "analytics/funnels.html", context, status=422)
    table = request.GET.get("table", "lifecycle")
    if request.GET.get("format") == "csv" and table in FUNNEL_TABLES:
        return _funnel_csv(table, fparams, aparams)
    lifecycle = funnels.lifecycle_funnel(fparams)
    pipeline, deals = funnels.deal_funnel(fparams)
    speed = funnels.speed_to_lead(fparams)
    attention = funnels.attention_vs_conversion(aparams)
    overall = [r for r in lifecycle if r["group"] == "All"] if fparams.group_by == "all" else []
    context.update(
        lifecycle=lifecycle, pipeline=pipeline, deals=deals, speed=speed, attention=attention,
        lifecycle_chart=_stage_chart(overall, "Contacts reaching each lifecycle stage", vocabulary="stage")
        if overall else "",
        group_vocab="channel" if fparams.group_by == "channel" else "",
        deal_chart=_stage_chart([r for r in deals if r["group"] == "All"], "Deals reaching each stage")
        if fparams.group_by == "all" and deals else "",
        attention_chart=_attention_chart(attention),
    )
    return render(request, "analytics/funnels.html", context)


def _stage_chart(rows: list[dict[str, Any]], title: str, vocabulary: str = "") -> Any:
    labels = [r["from_stage"] for r in rows] + ([rows[-1]["to_stage"]] if rows else [])
    if vocabulary:
        labels = [label(stage, vocabulary) for stage in labels]
    values = [r["entered"] for r in rows] + ([rows[-1]["converted"]] if rows else [])
    return stacked_bars(labels, [Series("Reached", values)], title=title)


def _attention_chart(rows: list[dict[str, Any]]) -> Any:
    """Share of attention (touches) against share of credited revenue, per campaign."""
    touches = sum(r["touches"] for r in rows) or 1
    revenue = sum(r["revenue"] for r in rows) or 1
    ranked = sorted(rows, key=lambda r: -(r["touches"] / touches + r["revenue"] / revenue))[:MAX_CHART_ROWS]
    return grouped_bars([r["campaign"] for r in ranked],
                        [Series("Share of touches %", [100 * r["touches"] / touches for r in ranked]),
                         Series("Share of revenue %", [100 * r["revenue"] / revenue for r in ranked])],
                        title="Attention vs revenue per campaign", fmt="{:.1f}")


def _funnel_csv(table: str, fparams: FunnelParams, aparams: AttributionParams) -> HttpResponse:
    from plumbline.analytics import funnels

    if table in ("lifecycle", "deals"):
        rows = funnels.lifecycle_funnel(fparams) if table == "lifecycle" else funnels.deal_funnel(fparams)[1]
        keys = ["group", "from_stage", "to_stage", "entered", "converted", "rate", "timed", "median_days", "p75_days"]
        return _csv(f"funnel-{table}-by-{fparams.group_by}", keys, [[r[k] for k in keys] for r in rows])
    if table == "speed":
        speed = funnels.speed_to_lead(fparams)
        keys = ["group", "leads", "touched", "median_hours", "p75_hours"]
        return _csv("speed-to-lead", ["measured_from", *keys],
                    [[source, *[r[k] for k in keys]] for source in ("assignments", "activities") for r in speed[source]])
    rows = funnels.attention_vs_conversion(aparams)
    keys = ["campaign", "touches", "contacts", "opens", "clicks", "page_views", "pipeline", "revenue", "won_deals"]
    return _csv("attention-vs-conversion", keys, [[r[k] for k in keys] for r in rows])
