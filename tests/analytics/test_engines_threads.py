"""The DuckDB engine serves concurrent callers: each thread runs on its own connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from plumbline.analytics import engines


def _totals(seed: int) -> list[dict]:
    frame = pd.DataFrame({"channel": ["a", "b"] * 2000, "value": [float(seed)] * 4000})
    query = lambda t: t.group_by("channel").aggregate(total=t.value.sum(), n=t.count()).order_by("channel")  # noqa: E731
    return engines.run(query, frame).to_pylist()


def test_concurrent_queries_on_duckdb_all_succeed_with_their_own_results():
    # Given 8 threads, each running 6 aggregations over its own in-memory table
    seeds = list(range(48))

    # When they run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_totals, seeds))

    # Then every query succeeds and sees its own data
    assert results == [
        [{"channel": "a", "total": 2000.0 * s, "n": 2000}, {"channel": "b", "total": 2000.0 * s, "n": 2000}]
        for s in seeds
    ]


def test_each_thread_gets_its_own_duckdb_connection_and_keeps_it():
    main = engines.backend("duckdb")
    with ThreadPoolExecutor(max_workers=2) as pool:
        others = list(pool.map(lambda _: id(engines.backend("duckdb").con), range(2)))

    assert engines.backend("duckdb") is main
    assert id(main.con) not in others
