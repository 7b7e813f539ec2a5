from tests.processes import database_env, processes  # noqa: F401 - fixtures
