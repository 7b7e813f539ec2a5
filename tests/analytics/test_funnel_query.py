"""funnel_query and group_query on hand-made events: skipped stages, repeated and out-of-order entries, date
range, cohorts, groups from the first touch stored with each contact; the same rows on DuckDB and on Spark.
(Which touchpoint is a contact's first is the marketing actions' business: tests/marketing/test_first_touchpoint.py.)"""

from __future__ import annotations

import pyarrow as pa
import pytest

from plumbline.analytics import engines
from plumbline.analytics.funnels import DAY, funnel_query, group_query

T0 = 1_700_000_000  # 2023-11-14 UTC

# subject 1: 0 -> 1 (2 days) -> 2 (4 days), re-enters 1 later (ignored: first entries count)
# subject 2: created at stage 1 (so it reached 0 too), then 2 after 6 days
# subject 3: 0, then stage 1 *before* stage 0's first entry: reached, but not timed
# subject 4: 0 only, a month later (another cohort)
ENTRIES = pa.table({
    "subject": pa.array([1, 1, 1, 1, 2, 2, 3, 3, 4], pa.int64()),
    "step": pa.array([0, 1, 2, 1, 1, 2, 0, 1, 0], pa.int64()),
    "at": pa.array([T0, T0 + 2 * DAY, T0 + 6 * DAY, T0 + 9 * DAY, T0 + DAY, T0 + 7 * DAY, T0 + 3 * DAY, T0,
                    T0 + 31 * DAY], pa.int64()),
})
# The first touch as stored with each contact, as funnels._contacts passes it: contact 1 seo (campaign 3),
# contact 2 email (campaign 1), contact 3 without touchpoints, contact 4 seo without a campaign
CONTACTS = pa.table({
    "contact_id": pa.array([1, 2, 3, 4], pa.int64()),
    "source": pa.array(["web", "", "web", "event"], pa.string()),
    "first_channel": pa.array(["seo", "email", "(none)", "seo"], pa.string()),
    "first_campaign": pa.array(["3", "1", "(none)", "(none)"], pa.string()),
})
SUBJECTS = pa.table({"subject": pa.array([1, 2, 3, 4], pa.int64()), "contact_id": pa.array([1, 2, 3, 4], pa.int64())})


def _funnel(engine: str, group_by: str, since: int | None = None, until: int | None = None, *,
            subjects: pa.Table | None = SUBJECTS, contacts: pa.Table = CONTACTS) -> list[tuple]:
    entries = engines.table(ENTRIES, engine=engine)
    groups = group_by if group_by in ("all", "cohort") else group_query(
        None if subjects is None else engines.table(subjects, engine=engine), engines.table(contacts, engine=engine),
        entries, group_by)
    rows = engines.to_arrow(funnel_query(entries, groups, 3, since=since, until=until), engine=engine).to_pylist()
    return [tuple(r.values()) for r in rows]


def test_reached_counts_skips_and_times_only_ordered_first_entries():
    assert _funnel("duckdb", "all") == [
        # grp, step, entered, converted, timed, median_days, p75_days
        ("All", 0, 4, 3, 1, 2.0, 2.0),
        ("All", 1, 3, 2, 2, 5.0, 5.5),
        ("All", 2, 2, 0, 0, None, None),
    ]


def test_cohort_months_come_from_each_subjects_first_entry():
    assert _funnel("duckdb", "cohort") == [
        ("2023-11", 0, 3, 3, 1, 2.0, 2.0),
        ("2023-11", 1, 3, 2, 2, 5.0, 5.5),
        ("2023-11", 2, 2, 0, 0, None, None),
        ("2023-12", 0, 1, 0, 0, None, None),
    ]


def _cohorts(engine: str) -> list[tuple]:
    # 2023-11-30 23:59:59 UTC and one second later; 1969-12-31 23:59:59 and the epoch itself
    entries = pa.table({"subject": pa.array([1, 2, 3, 4], pa.int64()), "step": pa.array([0, 0, 0, 0], pa.int64()),
                        "at": pa.array([1_701_388_799, 1_701_388_800, -1, 0], pa.int64())})
    rows = engines.to_arrow(funnel_query(engines.table(entries, engine=engine), "cohort", 1, since=None, until=None),
                            engine=engine).to_pylist()
    return [(r["grp"], r["entered"]) for r in rows]


def test_cohort_months_are_utc_months():
    assert _cohorts("duckdb") == [("1969-12", 1), ("1970-01", 1), ("2023-11", 1), ("2023-12", 1)]


def test_date_range_keeps_subjects_whose_first_entry_is_inside():
    assert _funnel("duckdb", "all", since=T0 + 2 * DAY) == [("All", 0, 1, 0, 0, None, None)]
    assert _funnel("duckdb", "all", until=T0 + DAY) == [
        ("All", 0, 2, 2, 1, 2.0, 2.0), ("All", 1, 2, 1, 1, 4.0, 4.0), ("All", 2, 1, 0, 0, None, None)]


def test_no_touches_leave_every_subject_in_none():
    untouched = CONTACTS.set_column(2, "first_channel", pa.array(["(none)"] * 4))
    assert _funnel("duckdb", "channel", contacts=untouched) == [
        ("(none)", 0, 4, 3, 1, 2.0, 2.0), ("(none)", 1, 3, 2, 2, 5.0, 5.5), ("(none)", 2, 2, 0, 0, None, None)]


def test_subjects_that_are_their_own_contacts_group_as_through_an_identity_table():
    for group_by in ("source", "channel", "campaign"):
        assert _funnel("duckdb", group_by, subjects=None) == _funnel("duckdb", group_by)


def test_grouped_by_first_touch_channel_subjects_without_touches_fall_in_none():
    assert _funnel("duckdb", "channel") == [
        ("(none)", 0, 1, 1, 0, None, None), ("(none)", 1, 1, 0, 0, None, None),
        ("email", 0, 1, 1, 0, None, None), ("email", 1, 1, 1, 1, 6.0, 6.0), ("email", 2, 1, 0, 0, None, None),
        ("seo", 0, 2, 1, 1, 2.0, 2.0), ("seo", 1, 1, 1, 1, 4.0, 4.0), ("seo", 2, 1, 0, 0, None, None),
    ]


def test_grouped_by_first_touch_campaign_no_touch_and_no_campaign_share_none():
    assert _funnel("duckdb", "campaign") == [
        ("(none)", 0, 2, 1, 0, None, None), ("(none)", 1, 1, 0, 0, None, None),
        ("1", 0, 1, 1, 0, None, None), ("1", 1, 1, 1, 1, 6.0, 6.0), ("1", 2, 1, 0, 0, None, None),
        ("3", 0, 1, 1, 1, 2.0, 2.0), ("3", 1, 1, 1, 1, 4.0, 4.0), ("3", 2, 1, 0, 0, None, None),
    ]


def test_deals_group_through_their_contact_and_a_subject_without_one_falls_in_none():
    deals = pa.table({"subject": pa.array([1, 2, 4], pa.int64()), "contact_id": pa.array([2, 2, 1], pa.int64())})

    assert _funnel("duckdb", "channel", subjects=deals) == [
        ("(none)", 0, 1, 1, 0, None, None), ("(none)", 1, 1, 0, 0, None, None),
        ("email", 0, 2, 2, 1, 2.0, 2.0), ("email", 1, 2, 2, 2, 5.0, 5.5), ("email", 2, 2, 0, 0, None, None),
        ("seo", 0, 1, 0, 0, None, None),
    ]


@pytest.mark.spark
def test_funnel_query_is_identical_on_duckdb_and_spark(spark):
    for group_by in ("all", "cohort", "source", "channel", "campaign"):
        for since, until in ((None, None), (T0 + DAY, None), (None, T0 + 2 * DAY)):
            assert _funnel("spark", group_by, since, until) == _funnel("duckdb", group_by, since, until)
    assert _funnel("spark", "campaign", subjects=None) == _funnel("duckdb", "campaign")


@pytest.mark.spark
def test_cohort_months_are_the_same_on_spark(spark):
    assert _cohorts("spark") == _cohorts("duckdb")
