"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from overture.cli import MIGRATIONS
from overture.db import make_engine
from overture.models import Base


def test_models_and_migrations_agree(app):
    with app.state.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _scratch_database(backend, tmp_path) -> str:
    if backend.name == "sqlite":
        return f"sqlite:///{tmp_path / 'scratch.db'}"
    from tests.conftest import _postgres_database, _worker
    from tests.services import database_url

    return _postgres_database(database_url(), f"overture_migrations_{_worker()}")


def _alembic(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


def test_ticket_tags_are_copied_into_their_table(backend, tmp_path):
    """0006 gives the tags tickets already have a row each, and drops them on the way down."""
    url = _scratch_database(backend, tmp_path)
    cfg = _alembic(url)
    command.upgrade(cfg, "0005")
    engine = make_engine(url)
    now = "2026-11-20 12:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO brands (id, name, created_at, updated_at) "
                          "VALUES (1, 'B', :now, :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO channels (id, brand_id, name, kind, key, jwt_secret, allowed_origins, "
            "sender_name, sender_avatar_url, launcher_text, color, created_at, updated_at) "
            "VALUES (1, 1, 'C', 'web_widget', 'k', 's', '[]', '', '', '', '#000000', :now, :now)"),
            {"now": now})
        conn.execute(text("INSERT INTO visitors (id, name, email, language, attributes, "
                          "visit_count, first_seen, last_seen) "
                          "VALUES (1, '', '', '', '{}', 0, :now, :now)"), {"now": now})
        for i, tags in ((1, '["vip", "billing"]'), (2, "[]"), (3, '["vip"]')):
            conn.execute(text(
                "INSERT INTO conversations (id, channel_id, visitor_id, status, created_at, "
                "last_activity) VALUES (:i, 1, 1, 'open', :now, :now)"), {"i": i, "now": now})
            conn.execute(text(
                "INSERT INTO tickets (id, conversation_id, requester_name, requester_email, "
                "status, tags, proactive_message_name, created_at, updated_at) "
                "VALUES (:i, :i, '', '', 'open', :tags, '', :now, :now)"),
                {"i": i, "tags": tags, "now": now})
    command.upgrade(cfg, "0006")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT ticket_id, tag FROM ticket_tags "
                                  "ORDER BY ticket_id, tag")).all()
    assert [tuple(r) for r in found] == [(1, "billing"), (1, "vip"), (3, "vip")]
    command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 3
    engine.dispose()


def test_identified_customers_are_scoped_to_the_channel_they_used(backend, tmp_path):
    """0007 gives a customer identified before scopes the channel of their latest visit."""
    url = _scratch_database(backend, tmp_path)
    cfg = _alembic(url)
    command.upgrade(cfg, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO brands (id, name, created_at, updated_at) "
                          "VALUES (1, 'B', :now, :now)"), {"now": "2026-11-20 12:00:00"})
        for cid in (1, 2):
            conn.execute(text(
                "INSERT INTO channels (id, brand_id, name, kind, key, jwt_secret, "
                "allowed_origins, sender_name, sender_avatar_url, launcher_text, color, "
                "created_at, updated_at) VALUES (:c, 1, 'C', 'web_widget', :k, 's', '[]', '', "
                "'', '', '#000000', :now, :now)"),
                {"c": cid, "k": f"k{cid}", "now": "2026-11-20 12:00:00"})
        for vid, external in ((1, "cust-1"), (2, None), (3, "cust-3")):
            conn.execute(text(
                "INSERT INTO visitors (id, external_id, name, email, language, attributes, "
                "visit_count, first_seen, last_seen) "
                "VALUES (:v, :e, '', '', '', '{}', 0, :now, :now)"),
                {"v": vid, "e": external, "now": "2026-11-20 12:00:00"})
        for vid, cid, day in ((1, 1, "2026-11-20"), (1, 2, "2026-11-21"), (2, 1, "2026-11-21")):
            conn.execute(text(
                "INSERT INTO visits (visitor_id, channel_id, session_id, referrer, page_views, "
                "started_at, last_seen) VALUES (:v, :c, 's', '', 1, :at, :at)"),
                {"v": vid, "c": cid, "at": f"{day} 10:00:00"})
    command.upgrade(cfg, "0007")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id, identity_scope FROM visitors ORDER BY id")).all()
    assert [tuple(r) for r in found] == [(1, "channel:2"), (2, None), (3, "unknown")]
    with engine.connect() as conn:  # rebuilding visitors on SQLite took no visit with it
        assert conn.execute(text("SELECT count(*) FROM visits")).scalar() == 3
    command.downgrade(cfg, "0006")
    engine.dispose()


def test_brands_get_an_identity_secret_and_channels_keep_their_own(backend, tmp_path):
    """0009 gives every brand a secret of its own; no channel shares it until an admin chooses
    to. Down again, both columns go."""
    url = _scratch_database(backend, tmp_path)
    cfg = _alembic(url)
    command.upgrade(cfg, "0008")
    engine = make_engine(url)
    now = "2026-11-20 12:00:00"
    with engine.begin() as conn:
        for bid in (1, 2):
            conn.execute(text("INSERT INTO brands (id, name, created_at, updated_at) "
                              "VALUES (:b, :n, :now, :now)"), {"b": bid, "n": f"B{bid}", "now": now})
        conn.execute(text(
            "INSERT INTO channels (id, brand_id, name, kind, key, jwt_secret, allowed_origins, "
            "sender_name, sender_avatar_url, launcher_text, color, created_at, updated_at) "
            "VALUES (1, 1, 'C', 'web_widget', 'k', 's', '[]', '', '', '', '#000000', :now, :now)"),
            {"now": now})
    command.upgrade(cfg, "0009")
    with engine.connect() as conn:
        secrets = [r[0] for r in conn.execute(text(
            "SELECT identity_secret FROM brands ORDER BY id"))]
        shared = conn.execute(text("SELECT identity_shared_with_brand FROM channels")).scalar()
    assert len(set(secrets)) == 2 and all(len(s) >= 32 for s in secrets)
    assert shared in (False, 0)  # and the channel is still there, its brand rebuilt under it
    command.downgrade(cfg, "0008")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM brands")).scalar() == 2
        assert conn.execute(text("SELECT jwt_secret FROM channels")).scalar() == "s"
    engine.dispose()


def test_channels_get_no_contact_form_and_no_translations(backend, tmp_path):
    """0010 leaves existing channels as they answered: no name-and-email form before launcher
    conversations, no translations. Down again, both columns go and the channel stays."""
    url = _scratch_database(backend, tmp_path)
    cfg = _alembic(url)
    command.upgrade(cfg, "0009")
    engine = make_engine(url)
    now = "2026-11-30 12:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO brands (id, name, identity_secret, created_at, updated_at) "
                          "VALUES (1, 'B', 'x', :now, :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO channels (id, brand_id, name, kind, key, jwt_secret, allowed_origins, "
            "sender_name, sender_avatar_url, launcher_text, color, created_at, updated_at) "
            "VALUES (1, 1, 'C', 'web_widget', 'k', 's', '[]', '', '', 'Chat', '#000000', "
            ":now, :now)"), {"now": now})
    command.upgrade(cfg, "0010")
    with engine.connect() as conn:
        asks, translations = conn.execute(text(
            "SELECT launcher_asks_contact, translations FROM channels")).one()
    assert asks in (False, 0)
    assert translations in ({}, "{}")
    command.downgrade(cfg, "0009")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT launcher_text FROM channels")).scalar() == "Chat"
    engine.dispose()
