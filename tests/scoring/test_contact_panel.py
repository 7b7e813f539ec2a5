import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.bulk import bulk_rescore
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_contact_page_panel_explains_fit_and_engagement_even_after_a_bulk_rescore(users):
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    contact = do_create_contact(email="cto@acme.com", title="CTO")
    do_record_touchpoints(items=[{"contact_id": contact.pk, "kind": "webinar_attended", "channel": "webinar"}])
    bulk_rescore()
    c = Client()
    assert c.login(username="viewer", password=PASSWORD)
    assert f'hx-get="/contacts/{contact.pk}/score-panel/"' in c.get(f"/contacts/{contact.pk}/").content.decode()
    panel = c.get(f"/contacts/{contact.pk}/score-panel/").content.decode()
    assert "Fit A" in panel and "<strong>75</strong> fit points" in panel
    assert "Decision maker" in panel and "<td>Webinar attended" in panel and "webinar_attended" not in panel
    assert Client().get(f"/contacts/{contact.pk}/score-panel/").status_code == 302
    assert c.get("/contacts/999999/score-panel/").status_code == 404
