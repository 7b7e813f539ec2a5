"""funnel_query and first_touches on hand-made events: skipped stages, repeated and out-of-order entries,
first-touch ties (with the packed key and with the two-pass fallback), date range, cohorts; the same rows on
DuckDB and on Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from plumbline.analytics import engines
from plumbline.analytics.funnels import DAY, _first_touch_key, first_touches, funnel_query, group_query

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
# contact 1: two touches at its earliest instant, the lower id (5, paid) wins; contact 2: one touch;
# contact 3: none (falls in "(none)"); contact 4: the later touch does not count
TOUCHES = pa.table({
    "touch_id": pa.array([7, 5, 9, 3, 4], pa.int64()),
    "contact_id": pa.array([1, 1, 1, 2, 4], pa.int64()),
    "t_at": pa.array([T0, T0, T0 - DAY, T0, T0], pa.int64()),
    "channel": pa.array(["email", "paid", "seo", "email", "seo"], pa.string()),
    "campaign": pa.array(["1", "2", "3", "1", "4"], pa.string()),
    "content": pa.array(["(none)"] * 5, pa.string()),
})
SUBJECTS = pa.table({"subject": pa.array([1, 2, 3, 4], pa.int64()), "contact_id": pa.array([1, 2, 3, 4], pa.int64())})
CONTACTS = pa.table({"contact_id": pa.array([], pa.int64()), "source": pa.array([], pa.string())})


def _funnel(engine: str, group_by: str, since: int | None = None, until: int | None = None, *,
            subjects: pa.Table | None = SUBJECTS, touches: pa.Table = TOUCHES) -> list[tuple]:
    entries = engines.table(ENTRIES, engine=engine)
    groups = group_by if group_by in ("all", "cohort") else group_query(
        None if subjects is None else engines.table(subjects, engine=engine), engines.table(CONTACTS, engine=engine),
        engines.table(touches, engine=engine), entries, group_by, engine=engine)
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


def _first_touches(touches: pa.Table, column: str, engine: str = "duckdb") -> list[dict]:
    firsts = first_touches(engines.table(touches, engine=engine), column, engine=engine).order_by("contact_id")
    return engines.to_arrow(firsts, engine=engine).to_pylist()


def _spread(touches: pa.Table) -> pa.Table:
    """The same touches with instants and ids so far apart that (t_at, touch_id) cannot be packed in an int64."""
    return touches.set_column(0, "touch_id", pa.compute.multiply(touches["touch_id"], 2**40)).set_column(
        2, "t_at", pa.compute.multiply(pa.compute.subtract(touches["t_at"], T0), 2**20))


def test_first_touch_is_the_earliest_then_the_lowest_id():
    assert _first_touches(TOUCHES, "channel") == [
        {"contact_id": 1, "grp": "seo"}, {"contact_id": 2, "grp": "email"}, {"contact_id": 4, "grp": "seo"}]
    ties = TOUCHES.filter(pa.compute.not_equal(TOUCHES["touch_id"], 9))
    assert _first_touches(ties, "campaign")[0] == {"contact_id": 1, "grp": "2"}


def test_first_touch_ties_break_the_same_when_ids_and_instants_are_too_far_apart_to_pack():
    ties = TOUCHES.filter(pa.compute.not_equal(TOUCHES["touch_id"], 9))
    assert _first_touch_key(engines.table(TOUCHES), "duckdb") is not None  # packed
    assert _first_touch_key(engines.table(_spread(TOUCHES)), "duckdb") is None  # two passes

    assert _first_touches(_spread(TOUCHES), "channel") == _first_touches(TOUCHES, "channel")
    assert _first_touches(_spread(ties), "campaign") == _first_touches(ties, "campaign")
    assert _first_touches(_spread(ties), "campaign")[0] == {"contact_id": 1, "grp": "2"}


def test_first_touch_of_a_contact_whose_touches_all_share_one_instant_is_the_lowest_id():
    touches = pa.table({
        "touch_id": pa.array([30, 10, 20, 11], pa.int64()), "contact_id": pa.array([1, 1, 1, 2], pa.int64()),
        "t_at": pa.array([T0, T0, T0, T0 + 5], pa.int64()),
        "channel": pa.array(["seo", None, "email", "seo"], pa.string()),
        "campaign": pa.array(["3", "1", "2", "3"], pa.string()), "content": pa.array(["(none)"] * 4, pa.string()),
    })

    assert _first_touches(touches, "channel") == [{"contact_id": 1, "grp": "(none)"}, {"contact_id": 2, "grp": "seo"}]
    assert _first_touches(_spread(touches), "channel") == _first_touches(touches, "channel")


def test_no_touches_leave_every_subject_in_none():
    assert _funnel("duckdb", "channel", touches=TOUCHES.slice(0, 0)) == [
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


@pytest.mark.spark
def test_funnel_query_is_identical_on_duckdb_and_spark(spark):
    for group_by in ("all", "cohort", "channel", "campaign"):
        for since, until in ((None, None), (T0 + DAY, None), (None, T0 + 2 * DAY)):
            assert _funnel("spark", group_by, since, until) == _funnel("duckdb", group_by, since, until)
    assert _funnel("spark", "channel", touches=_spread(TOUCHES)) == _funnel("duckdb", "channel")


@pytest.mark.spark
def test_cohort_months_are_the_same_on_spark(spark):
    assert _cohorts("spark") == _cohorts("duckdb")


@pytest.mark.spark
def test_first_touch_ties_break_the_same_on_spark(spark):
    ties = TOUCHES.filter(pa.compute.not_equal(TOUCHES["touch_id"], 9))
    for touches in (ties, _spread(ties)):
        assert _first_touches(touches, "campaign", "spark") == _first_touches(ties, "campaign")
