"""Report parameters, parsed and validated once for pages and API alike (bad values: 422 naming the field)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plumbline.analytics.attribution import MAX_ORDER
from plumbline.analytics.attribution import MODEL_NAMES as ATTRIBUTION_MODELS
from plumbline.analytics.engines import ENGINES
from plumbline.core.errors import DomainError, ValidationFailed

EVENTS = {
    "mql": "Became an MQL",
    "opportunity": "Opportunity created",
    "pipeline": "Pipeline (open or won deals created)",
    "won": "Deal won (revenue)",
}
LEVELS = {"contact": "Contact", "company": "Company (account-based)"}
DIMENSIONS = {"channel": "Channel", "campaign": "Campaign", "content": "Content"}
MARKOV_ORDERS = tuple(f"markov-{k}" for k in range(1, MAX_ORDER + 1))
MODEL_NAMES = (*[m for m in ATTRIBUTION_MODELS if m != "markov"], "markov", *MARKOV_ORDERS)
DEFAULT_MODELS = ("first", "last", "linear")
MODEL_LABELS = {
    "first": "First touch", "last": "Last touch", "last-non-direct": "Last non-direct touch", "linear": "Linear",
    "time-decay": "Time decay", "u-shaped": "U-shaped", "w-shaped": "W-shaped", "shapley": "Shapley value",
    "markov": "Markov (order as set)", **{m: f"Markov, order {m.rsplit('-', 1)[1]}" for m in MARKOV_ORDERS},
}
MAX_LOOKBACK_DAYS = 3650
# how funnels and speed to lead can be grouped
GROUPS = {"all": "All", "cohort": "Cohort month", "source": "Source", "channel": "First-touch channel",
          "campaign": "First-touch campaign"}
# what the report forms call each parameter: error messages name the field as people see it
FIELD_LABELS = {
    "models": "Model", "event": "Conversion event", "dimension": "Credit by", "level": "Level",
    "lookback_days": "Lookback (days)", "order": "Markov order", "half_life_days": "Time-decay half-life (days)",
    "since": "Start date", "until": "End date", "engine": "Engine", "group_by": "Group by", "pipeline": "Pipeline",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


class InvalidParameters(ValidationFailed):
    """Report parameters that cannot be used; every bad field is listed."""

    status = 422


@dataclass(frozen=True)
class AttributionParams:
    """What to attribute (event), how (models, Markov order, time-decay half-life), over which touchpoints
    (lookback window, date range of the events, contact or company level) and credit to what (dimension)."""

    event: str = "won"
    models: tuple[str, ...] = DEFAULT_MODELS
    order: int = 1
    lookback_days: int = 90
    half_life_days: float = 7.0
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    level: str = "contact"
    dimension: str = "channel"
    engine: str = "duckdb"


class Errors:
    def __init__(self) -> None:
        self.items: list[DomainError] = []

    def add(self, field: str, message: str, *, code: str = "invalid") -> None:
        self.items.append(DomainError(message, field=field, code=code))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidParameters(self.items)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int(raw: Mapping[str, Any], name: str, default: int, low: int, high: int, errors: Errors) -> int:
    value = raw.get(name)
    if _blank(value):
        return default
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.add(name, f"{field_label(name)} must be a whole number from {low} to {high}.")
        return default
    return number


def choice(raw: Mapping[str, Any], name: str, default: str, choices: Iterable[str], errors: Errors) -> str:
    value = raw.get(name)
    if _blank(value):
        return default
    value = str(value).strip()
    choices = list(choices)
    if value not in choices:
        errors.add(name, f"Unknown {field_label(name).lower()} {value!r}; choose one of {', '.join(choices)}.")
        return default
    return value


def _day(raw: Mapping[str, Any], name: str, errors: Errors, *, end: bool) -> dt.datetime | None:
    value = raw.get(name)
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors.add(name, f"{field_label(name)} must be a date like 2026-01-31.")
            return None
    if end and value == dt.date.max:  # up to the last day there is: no end (the next midnight does not exist)
        return None
    start = dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC)
    return start + dt.timedelta(days=1) if end else start


def date_range(raw: Mapping[str, Any], errors: Errors) -> tuple[dt.datetime | None, dt.datetime | None]:
    """`since` and `until` are days (UTC); `until` is included, so the range ends the next midnight."""
    since, until = _day(raw, "since", errors, end=False), _day(raw, "until", errors, end=True)
    if since and until and until <= since:
        errors.add("until", "The end date must be on or after the start date.", code="invalid_range")
    return since, until


def _models(raw: Mapping[str, Any], errors: Errors) -> tuple[str, ...]:
    value = raw.get("models")
    if _blank(value):
        return DEFAULT_MODELS
    names = value if isinstance(value, list | tuple) else str(value).split(",")
    names = [str(n).strip() for n in names if str(n).strip()]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        errors.add("models", f"Unknown model {', '.join(unknown) or '(none)'}; choose from {', '.join(MODEL_NAMES)}.")
        return tuple(dict.fromkeys(n for n in names if n in MODEL_NAMES)) or DEFAULT_MODELS
    return tuple(dict.fromkeys(names))


def attribution_params(raw: Mapping[str, Any]) -> AttributionParams:
    """Parse query-string style values (strings, lists or typed values); raise InvalidParameters."""
    params, errors = parse_attribution_params(raw)
    if errors:
        raise InvalidParameters(errors)
    return params


def parse_attribution_params(raw: Mapping[str, Any]) -> tuple[AttributionParams, list[DomainError]]:
    """The parameters with every bad value replaced by its default, and the errors; a form shown again keeps
    what was chosen right (the models, say) while it names what was wrong."""
    errors = Errors()
    since, until = date_range(raw, errors)
    half_life = raw.get("half_life_days")
    half = 7.0
    if not _blank(half_life):
        try:
            half = float(str(half_life))
        except ValueError:
            half = -1.0
        if not 0 < half <= 3650:
            errors.add("half_life_days", "The time-decay half-life must be a number of days above 0 and at most 3650.")
            half = 7.0
    params = AttributionParams(
        event=choice(raw, "event", "won", EVENTS, errors),
        models=_models(raw, errors),
        order=_int(raw, "order", 1, 1, MAX_ORDER, errors),
        lookback_days=_int(raw, "lookback_days", 90, 1, MAX_LOOKBACK_DAYS, errors),
        half_life_days=half,
        since=since,
        until=until,
        level=choice(raw, "level", "contact", LEVELS, errors),
        dimension=choice(raw, "dimension", "channel", DIMENSIONS, errors),
        engine=choice(raw, "engine", "duckdb", ENGINES, errors),
    )
    return params, errors.items
