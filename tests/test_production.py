"""In production mode there is no demo: no /demo site, no demo password on the console, no
demo admin made by `overture demo`. And no page of ours can be framed by another site."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from overture.app import create_app
from overture.cli import migrate
from overture.config import Settings
from overture.kit import passwords
from tests.conftest import TEST_SETTINGS, csrf_from, login


def _settings(tmp_path, environment: str) -> Settings:
    return Settings(**{**TEST_SETTINGS, "environment": environment,
                       "database_url": f"sqlite:///{tmp_path}/prod.db",
                       "secret_key": "k" * 48, "password_hash_profile": "production"
                       if environment == "production" else "test"})


@pytest.fixture(autouse=True)
def _suite_hashing() -> Iterator[None]:
    """A production app hashes with production parameters from its start: the rest of the
    suite goes back to the cheap ones."""
    yield
    passwords.use_profile(TEST_SETTINGS["password_hash_profile"])


def test_no_demo_site_in_production(tmp_path):
    migrate(f"sqlite:///{tmp_path}/prod.db")
    with TestClient(create_app(_settings(tmp_path, "development"))) as client:
        # Served (without demo data it says how to make them).
        assert "No demo data yet" in client.get("/demo").text
    with TestClient(create_app(_settings(tmp_path, "production"))) as client:
        r = client.get("/demo")
        assert r.status_code == 404
        assert "overture demo" not in r.text and "overture-demo" not in r.text


def _cli(tmp_path, *args: str, environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVERTURE_ENVIRONMENT": environment,
           "OVERTURE_SECRET_KEY": "k" * 48,
           "OVERTURE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    return subprocess.run([sys.executable, "-m", "overture.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_demo_command_refuses_production(tmp_path):
    assert _cli(tmp_path, "migrate", environment="production").returncode == 0
    refused = _cli(tmp_path, "demo", environment="production")
    assert refused.returncode != 0
    assert "not for production" in refused.stderr
    assert "overture-demo" not in refused.stdout + refused.stderr


def test_pages_cannot_be_framed(client, admin):
    for path in ("/login",):
        r = client.get(path)
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    login(client, admin.email)
    for path in ("/admin", "/admin/proactive-messages", "/agent"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert csrf_from(client.get("/admin").text)
