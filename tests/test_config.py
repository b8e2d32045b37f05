"""Settings come from OVERTURE_* variables; production refuses the default secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from overture.config import Settings


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("OVERTURE_SECRET_KEY", raising=False)
    monkeypatch.setenv("OVERTURE_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="OVERTURE_SECRET_KEY"):
        Settings()


def test_development_generates_and_keeps_a_secret(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OVERTURE_SECRET_KEY", raising=False)
    monkeypatch.setenv("OVERTURE_ENVIRONMENT", "development")
    first = Settings().secret_key
    assert len(first) >= 40
    assert Settings().secret_key == first
    assert (tmp_path / ".overture-secret").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("OVERTURE_DATABASE_URL", "postgresql://db.example/overture")
    monkeypatch.setenv("OVERTURE_PORT", "9000")
    monkeypatch.setenv("OVERTURE_JSON_LOGS", "true")
    monkeypatch.setenv("OVERTURE_SECRET_KEY", "k" * 48)
    s = Settings()
    assert (s.database_url, s.port, s.json_logs) == ("postgresql://db.example/overture", 9000, True)
    monkeypatch.setenv("OVERTURE_PORT", "not a port")
    with pytest.raises(ValidationError, match="port"):
        Settings()
