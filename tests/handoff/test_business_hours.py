import datetime as dt

from plumbline.definitions.schema import SLA
from plumbline.handoff.business_hours import add_business_hours, business_hours_between

SLA_NY = SLA.model_validate({
    "first_touch_hours": 4, "timezone": "America/New_York", "holidays": ["2026-12-25"],
    "working_hours": {"start": "09:00", "end": "17:00", "weekdays": [0, 1, 2, 3, 4]},
})


def ny(*args):
    return dt.datetime(*args, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def test_hours_inside_one_day():
    assert add_business_hours(ny(2026, 12, 1, 10, 0), 4, SLA_NY) == ny(2026, 12, 1, 14, 0)


def test_friday_afternoon_rolls_to_monday():
    assert add_business_hours(ny(2026, 12, 4, 15, 0), 4, SLA_NY) == ny(2026, 12, 7, 11, 0)


def test_night_arrival_starts_next_morning_and_holidays_are_skipped():
    assert add_business_hours(ny(2026, 12, 24, 22, 0), 2, SLA_NY) == ny(2026, 12, 28, 11, 0)


def test_elapsed_business_hours():
    assert business_hours_between(ny(2026, 12, 4, 15, 0), ny(2026, 12, 7, 11, 0), SLA_NY) == 4.0
    assert business_hours_between(ny(2026, 12, 7, 11, 0), ny(2026, 12, 4, 15, 0), SLA_NY) == 0.0
