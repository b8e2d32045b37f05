"""`overture serve | worker | migrate | demo | create-admin | create-token | set-password |
deactivate | activate | sign-out | tokens | revoke-token`."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from overture import wiring
from overture.config import get_settings
from overture.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(database_url: str | None = None) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url or get_settings().database_url
    command.upgrade(cfg, "head")


def _db() -> Database:
    wiring.connect()
    return Database(get_settings().database_url)


def cmd_migrate(args: argparse.Namespace) -> None:
    migrate()
    print("Database is up to date.")


def cmd_demo(args: argparse.Namespace) -> None:
    from overture.demo.service import create_demo

    if get_settings().environment == "production":
        sys.exit("error: the demo data (an admin with a published password) is not for "
                 "production; create users with `overture create-admin`")
    with _db().unit_of_work() as session:
        created = create_demo(session, only_if_empty=args.if_empty)
    print("Demo data created." if created else "Database already has data; demo skipped.")


def cmd_create_admin(args: argparse.Namespace) -> None:
    from overture.accounts.service import create_user

    password = args.password or getpass.getpass("Password (10+ characters): ")
    with _db().unit_of_work() as session:
        user = create_user(session, email=args.email, name=args.name or args.email,
                           password=password, role=args.role)
    print(f"Created {user.role} {user.email}.")


def cmd_create_token(args: argparse.Namespace) -> None:
    from overture.accounts.service import create_token, user_by_email

    with _db().unit_of_work() as session:
        user = user_by_email(session, args.email)
        if user is None:
            sys.exit(f"No user with email {args.email}.")
        _token, secret = create_token(session, user, args.name)
    print("API token (shown once; store it now):")
    print(secret)


def _user(session, email: str):
    from overture.accounts.service import user_by_email

    user = user_by_email(session, email)
    if user is None:
        sys.exit(f"error: no user with email {email}")
    return user


def cmd_set_password(args: argparse.Namespace) -> None:
    from overture.accounts.service import set_password

    password = args.password or getpass.getpass("New password (10+ characters): ")
    with _db().unit_of_work() as session:
        user = _user(session, args.email)
        set_password(session, user, password)
    print(f"Password of {args.email} changed; every session of theirs has ended.")


def cmd_set_active(args: argparse.Namespace) -> None:
    from overture.accounts import sessions
    from overture.accounts.service import revoke_tokens_of

    active = args.command == "activate"
    with _db().unit_of_work() as session:
        user = _user(session, args.email)
        user.is_active = active
        if not active:
            sessions.end_all(session, user.id)
            revoke_tokens_of(session, user.id)
    print(f"{args.email} can sign in again." if active else
          f"{args.email} is deactivated: sessions ended, API tokens revoked.")


def cmd_sign_out(args: argparse.Namespace) -> None:
    from overture.accounts import sessions

    with _db().unit_of_work() as session:
        ended = sessions.end_all(session, _user(session, args.email).id)
    print(f"{args.email} is signed out everywhere ({ended} sessions ended).")


def cmd_tokens(args: argparse.Namespace) -> None:
    from overture.accounts.service import list_tokens

    with _db().unit_of_work() as session:
        for token in list_tokens(session, _user(session, args.email)):
            state = (f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at
                     else "active")
            print(f"{token.id}\t{token.name}\tcreated {token.created_at:%Y-%m-%d %H:%M}\t{state}")


def cmd_revoke_token(args: argparse.Namespace) -> None:
    from overture.accounts.models import ApiToken
    from overture.accounts.service import revoke_token

    with _db().unit_of_work() as session:
        token = session.get(ApiToken, args.token_id)
        if token is None:
            sys.exit(f"error: no API token with id {args.token_id}")
        revoke_token(session, token)
    print(f"Token {args.token_id} is revoked.")


def cmd_serve(args: argparse.Namespace) -> None:
    import gc

    import uvicorn

    from overture.app import create_app
    from overture.demo.service import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD

    settings = get_settings()
    migrate()
    host = args.host or settings.host
    port = args.port or settings.port
    base = f"http://{host}:{port}"
    print(f"\n  Overture is running at {base}/admin", flush=True)
    if settings.environment != "production":
        print(f"  Demo site with the widget: {base}/demo")
        print(f"  Sign in as {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD} (demo data only)\n",
              flush=True)
    app = create_app(settings)
    # What exists now (routes, templates, metadata, compiled rules' code) lives as long as the
    # process: keep it out of every future collection, and collect the young less often, so
    # that garbage collection doesn't pause requests under load.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    # Request heads are bounded by the HTTP protocol itself, before they are kept whole.
    from overture.web.http_protocol import uvicorn_http_options

    # No permessage-deflate: chat frames are a few hundred bytes, and each compressing socket
    # keeps about 35 KiB of zlib state — a third of an idle socket's memory.
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level,
                proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=settings.trusted_proxies or None,
                ws="websockets-sansio", ws_per_message_deflate=False,
                **uvicorn_http_options(settings.max_header_bytes))


def cmd_worker(args: argparse.Namespace) -> None:
    """Send webhooks until stopped (Ctrl-C, SIGTERM): for installations whose servers run
    with OVERTURE_WEBHOOK_WORKER=false, or that want more senders."""
    import asyncio
    import signal

    from overture.kit.logs import setup_logging
    from overture.webhooks.worker import Worker

    settings = get_settings()
    setup_logging(settings.log_level, settings.json_logs)
    db = _db()

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with Worker(db, settings) as worker:
            task = asyncio.create_task(worker.run())
            print("Sending webhooks; stop with Ctrl-C.", flush=True)
            await stop.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    try:
        asyncio.run(work())
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="overture")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="migrate and start the server")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="send webhooks (beside servers, or instead of theirs)"
                   ).set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="create the demo account, channel, schedule and admin")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no users")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("create-admin", help="create a user (admin by default)")
    p.add_argument("email")
    p.add_argument("--name")
    p.add_argument("--password", help="prompted for when omitted")
    p.add_argument("--role", default="admin", choices=["admin", "agent"])
    p.set_defaults(func=cmd_create_admin)

    p = sub.add_parser("create-token", help="create an API token for a user (shown once)")
    p.add_argument("email")
    p.add_argument("--name", default="cli")
    p.set_defaults(func=cmd_create_token)

    p = sub.add_parser("set-password", help="set a user's password (ends their sessions)")
    p.add_argument("email")
    p.add_argument("--password", help="prompted for when omitted")
    p.set_defaults(func=cmd_set_password)

    for name, what in (("deactivate", "stop a user signing in: ends sessions, revokes tokens"),
                       ("activate", "let a deactivated user sign in again")):
        p = sub.add_parser(name, help=what)
        p.add_argument("email")
        p.set_defaults(func=cmd_set_active)

    p = sub.add_parser("sign-out", help="end every session of a user")
    p.add_argument("email")
    p.set_defaults(func=cmd_sign_out)

    p = sub.add_parser("tokens", help="list a user's API tokens")
    p.add_argument("email")
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("revoke-token", help="revoke an API token by id (see `tokens`)")
    p.add_argument("token_id", type=int)
    p.set_defaults(func=cmd_revoke_token)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except Exception as exc:  # a clear line for the operator, not a traceback
        from overture.kit.errors import DomainError

        if isinstance(exc, DomainError):
            sys.exit(f"error: {exc.message}")
        raise


if __name__ == "__main__":
    main()
