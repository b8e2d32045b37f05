"""Which external services the suite runs on.

CI sets OVERTURE_TEST_DATABASE_URL and OVERTURE_TEST_REDIS_URL and OVERTURE_TEST_REQUIRE_SERVICES=1:
there a missing service is an error, never a skip.
"""

import os

import pytest

REQUIRE = os.environ.get("OVERTURE_TEST_REQUIRE_SERVICES") == "1"


def service_url(name: str) -> str:
    url = os.environ.get(name, "")
    if not url:
        if REQUIRE:
            pytest.fail(f"{name} is not set but OVERTURE_TEST_REQUIRE_SERVICES=1")
        pytest.skip(f"{name} not set")
    return url


def redis_url() -> str:
    return service_url("OVERTURE_TEST_REDIS_URL")


def database_url() -> str:
    return service_url("OVERTURE_TEST_DATABASE_URL")
