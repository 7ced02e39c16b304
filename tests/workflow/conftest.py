from tests.store.db_fixtures import backend, clock, pg_cluster, store, svc  # noqa: F401
from tests.workflow.helpers import world  # noqa: F401
