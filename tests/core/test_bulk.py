import pytest
from django.db import connection

from plumbline.core import bulk
from plumbline.marketing.models import Touchpoint


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return {c for c, info in connection.introspection.get_constraints(cursor, "marketing_touchpoint").items()
                if info["index"] or info["foreign_key"]}


@pytest.mark.django_db(transaction=True)
def test_deferred_indexes_and_foreign_keys_come_back_after_a_failed_load():
    before = _index_names()
    with pytest.raises(RuntimeError), bulk.indexes_deferred([Touchpoint]):
        if connection.vendor == "postgresql":
            assert _index_names() < before
        raise RuntimeError("load failed")
    assert _index_names() == before
