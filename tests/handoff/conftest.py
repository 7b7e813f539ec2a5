import pytest

from plumbline.crm.actions import do_create_company, do_create_contact


@pytest.fixture
def acme(db):
    return do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")


@pytest.fixture
def lead(acme):
    return do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead", source="webinar")
