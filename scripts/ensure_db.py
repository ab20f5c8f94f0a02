"""Create the application database (and PostGIS in it) if it does not exist yet."""

import os
import sys
from typing import Any

import environ
import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/hotspots")
    cfg = environ.Env.db_url_config(url)
    params: dict[str, Any] = {"host": cfg.get("HOST") or None, "port": cfg.get("PORT") or None,
                              "user": cfg.get("USER") or None,
                              "password": cfg.get("PASSWORD") or None}
    name = cfg["NAME"]
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
        with psycopg.connect(dbname=name, autocommit=True, **params) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        print(f"cannot prepare database {name}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
