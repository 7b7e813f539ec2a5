"""`python -m plumbline.core.dbcheck URL`: exit 0 when the PostgreSQL server at URL answers."""

from __future__ import annotations

import sys

import dj_database_url


def reachable(url: str) -> bool:
    import psycopg

    cfg = dj_database_url.parse(url)
    try:
        # Connect to the maintenance database: the test run creates its own.
        psycopg.connect(
            dbname="postgres", user=cfg.get("USER") or None, password=cfg.get("PASSWORD") or None,
            host=cfg.get("HOST") or None, port=cfg.get("PORT") or None, connect_timeout=3,
        ).close()
    except psycopg.Error:
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if reachable(sys.argv[1]) else 1)
