"""Health for load balancers: /healthz says the process answers, /readyz that it can serve —
and stops saying so while Redis is away, then says so again once Redis is back."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from overture.app import create_app
from overture.config import Settings
from tests.conftest import TEST_SETTINGS


def test_healthz_and_readyz(client, backend):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    redis = "ok" if backend.redis_url else "not used"
    assert r.json() == {"status": "ready", "database": "ok", "redis": redis}


def _ready(client: TestClient, want: int, seconds: float = 20.0):
    """Ask until the answer is `want` (a bound on waiting, not a timing)."""
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/readyz")
        if r.status_code == want or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def test_readyz_follows_redis_going_away_and_coming_back(throwaway_redis, tmp_path):
    settings = Settings(**{**TEST_SETTINGS, "environment": "test",
                           "database_url": f"sqlite:///{tmp_path}/health.db",
                           "redis_url": throwaway_redis.url, "redis_prefix": "health-test:",
                           "secret_key": "k" * 48})
    from overture.cli import migrate

    migrate(settings.database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        assert _ready(client, 200).json()["redis"] == "ok"
        throwaway_redis.stop()
        gone = _ready(client, 503)
        assert gone.status_code == 503
        assert gone.json() == {"status": "unavailable", "database": "ok",
                               "redis": "unavailable"}
        assert client.get("/healthz").status_code == 200  # the process itself is fine
        throwaway_redis.start()
        back = _ready(client, 200)
        assert back.status_code == 200, back.text
