"""Create the application database (and PostGIS in it) and the application's own database
role if they do not exist yet (docs/adr/0011).

The owner (DATABASE_OWNER_URL, by default the local superuser `postgres`) creates the
database and runs migrations; the application connects as DATABASE_URL's role (by default
`hotspots_app`), an ordinary role made here: no superuser, no owner of any table."""

import os
import sys
from typing import Any

import environ
import psycopg
from psycopg import sql

APP_URL = "postgis://hotspots_app@127.0.0.1:5432/hotspots"
OWNER_URL = "postgis://postgres@127.0.0.1:5432/hotspots"


def _params(cfg: dict[str, Any]) -> dict[str, Any]:
    return {"host": cfg.get("HOST") or None, "port": cfg.get("PORT") or None,
            "user": cfg.get("USER") or None, "password": cfg.get("PASSWORD") or None}


def main() -> int:
    app = environ.Env.db_url_config(os.environ.get("DATABASE_URL", APP_URL))
    owner = environ.Env.db_url_config(os.environ.get("DATABASE_OWNER_URL") or OWNER_URL)
    params = _params(owner)
    name = app["NAME"]
    app_role = app.get("USER") or ""
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
            if app_role and app_role != owner.get("USER"):
                role = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                                    [app_role]).fetchone()
                if role is None:
                    password = app.get("PASSWORD") or None
                    conn.execute(sql.SQL(
                        "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                        "NOREPLICATION NOBYPASSRLS PASSWORD {}").format(
                        sql.Identifier(app_role), sql.Literal(password)))
                    print(f"created database role {app_role}")
                elif role[0]:
                    print(f"the application's role {app_role} is a superuser: it must not be",
                          file=sys.stderr)
                    return 1
        with psycopg.connect(dbname=name, autocommit=True, **params) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        print(f"cannot prepare database {name}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
