"""Funnel over synthetic lifecycle and touchpoint events on DuckDB (issue 4: goal <= 5 s for 50M events).

    .venv/bin/python bench/funnel_bench.py --events 50000000 [--engine duckdb] [--dir /tmp/funnel_bench]
        [--groups all cohort source channel campaign] [--repeat 1]

Synthetic data is drawn with numpy straight into Parquet: contacts walk the lifecycle funnel (each stage
reached with a fixed probability, gaps exponential), touchpoints fall on random contacts at random
instants with one of 13 channels and 60 campaigns; together they make `--events` rows (about a quarter
lifecycle moves). The contacts table carries each contact's source and the channel and campaign of its
first touchpoint (earliest, ties to the lowest id), computed from the touchpoints at generation time as
the database holds them (`marketing.FirstTouchpoint`) and as `funnels._contacts` passes them ("(none)" for
a contact without touchpoints). The timed part is exactly what the app runs (`plumbline.analytics.funnels`):
the funnel query per group (all, cohort month, the contact's source, first-touch channel and campaign),
reading the Parquet files and returning Arrow; no grouping reads the touchpoints any more, so they are not
written. Generation is not timed. `--repeat` times every grouping that many times in turn, which helps on a
shared machine, where one run says little.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from plumbline.analytics import engines  # noqa: E402
from plumbline.analytics.funnels import GROUPS, funnel_query, group_query  # noqa: E402

STAGES = 8
CONTINUE = 0.62  # probability of reaching the next stage
CHANNELS = np.array(["email", "paid_search", "paid_social", "organic_social", "seo", "video", "print", "event",
                     "webinar", "outbound", "referral", "partner", "direct"])
SOURCES = ["web", "import", "event", "referral", "api", ""]
START = 1_700_000_000


def generate(events: int, folder: Path, seed: int = 7) -> tuple[Path, Path, int, int]:
    rng = np.random.default_rng(seed)
    per_contact = 1 / (1 - CONTINUE)  # expected lifecycle moves per contact
    contacts = int(events * 0.25 / per_contact)
    top = np.minimum(rng.geometric(1 - CONTINUE, contacts) - 1, STAGES - 1)
    counts = top + 1
    subject = np.repeat(np.arange(contacts, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    step = np.arange(len(subject), dtype=np.int64) - np.repeat(starts, counts)
    first = START + rng.integers(0, 365 * 86_400, contacts)
    gaps = rng.exponential(6 * 86_400, len(subject)).astype(np.int64)
    gaps[starts] = 0
    csum = np.cumsum(gaps)
    at = np.repeat(first, counts) + csum - np.repeat(csum[starts], counts)
    lifecycle = pa.table({"subject": subject, "step": step, "at": at})
    n_touch = events - len(subject)
    # Touchpoints (their id is their index): only each contact's first is kept, with the contact.
    contact = rng.integers(0, contacts, n_touch, dtype=np.int64)
    t_at = START + rng.integers(0, 400 * 86_400, n_touch)
    channel = rng.integers(0, len(CHANNELS), n_touch).astype(np.int32)
    campaign = rng.integers(0, 60, n_touch).astype(np.int32)
    channel_of, campaign_of = _first_touches(contacts, contact, t_at, channel, campaign)
    people = pa.table({
        "contact_id": np.arange(contacts, dtype=np.int64),
        "source": pa.DictionaryArray.from_arrays(rng.integers(0, len(SOURCES), contacts).astype(np.int32),
                                                 pa.array(SOURCES)),
        "first_channel": pa.DictionaryArray.from_arrays(channel_of, pa.array([*CHANNELS, "(none)"])),
        "first_campaign": pa.DictionaryArray.from_arrays(campaign_of, pa.array([*map(str, range(60)), "(none)"])),
    })
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "lifecycle.parquet", folder / "contacts.parquet")
    for table, path in zip((lifecycle, people), paths, strict=True):
        pq.write_table(table, path)
    return *paths, len(subject), n_touch


def _first_touches(contacts: int, contact: np.ndarray, t_at: np.ndarray, channel: np.ndarray,
                   campaign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per contact, the channel and campaign codes of its earliest touch (ties: the lowest id, i.e. index);
    the last code of each dictionary ("(none)") for a contact without touches."""
    key = contact * (int(t_at.max() - t_at.min()) + 1) + (t_at - t_at.min())
    order = np.argsort(key, kind="stable")  # stable: equal instants keep id order
    sorted_contact = contact[order]
    firsts = order[np.flatnonzero(np.r_[True, sorted_contact[1:] != sorted_contact[:-1]])]
    channel_of = np.full(contacts, len(CHANNELS), dtype=np.int32)
    campaign_of = np.full(contacts, 60, dtype=np.int32)
    channel_of[contact[firsts]] = channel[firsts]
    campaign_of[contact[firsts]] = campaign[firsts]
    return channel_of, campaign_of


def run(paths: tuple[Path, Path], group_by: str, engine: str) -> tuple[float, float, int]:
    """Wall seconds, this process's CPU seconds (DuckDB's threads; on a shared machine the steadier figure)
    and result rows."""
    lifecycle, contacts = paths
    started, cpu = time.perf_counter(), time.process_time()
    entries = engines.table(lifecycle, engine=engine)
    # as funnels.lifecycle_funnel does: every subject is a contact (subjects=None)
    groups = group_by if group_by in ("all", "cohort") else group_query(
        None, engines.table(contacts, engine=engine), entries, group_by)
    result = engines.to_arrow(funnel_query(entries, groups, STAGES, since=None, until=None), engine=engine)
    return time.perf_counter() - started, time.process_time() - cpu, result.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--engine", default="duckdb", choices=engines.ENGINES)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/funnel_bench"))
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=GROUPS)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    *paths, n_life, n_touch = generate(args.events, args.dir)
    print(f"generated {n_life:,} lifecycle moves + {n_touch:,} touchpoints in {time.perf_counter() - started:.1f}s")
    engines.backend(args.engine)  # start the engine outside the timing
    for _ in range(args.repeat):
        for group_by in args.groups:
            load = os.getloadavg()[0]
            seconds, cpu, rows = run(tuple(paths), group_by, args.engine)
            print(f"funnel by {group_by:8s} {seconds:6.2f}s  cpu {cpu:6.2f}s  ({rows} result rows)  "
                  f"engine={args.engine}  load before {load:.2f}", flush=True)


if __name__ == "__main__":
    main()
