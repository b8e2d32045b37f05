from tests.widget.conftest import live, new_visitor, site, visitor  # noqa: F401 - shared fixtures
