import pytest

from plumbline.crm.models import Company, Contact


@pytest.mark.django_db
def test_company_crud_and_domain_normalisation(api, users):
    admin = api("admin")
    # given a contact whose email domain has no company yet
    admin.post("/contacts", {"email": "kim@globex.com"})
    # when a company is created with a messy domain
    created = admin.post("/companies", {"name": " Globex ", "domain": "https://www.Globex.com/about",
                                        "employee_count": 250, "annual_revenue": "1250000.50", "country": "de"})
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["domain"], body["country"], body["employee_count"], body["annual_revenue"]) == (
        "Globex", "globex.com", "DE", 250, "1250000.50")
    # then the contact at that domain joins it
    assert Contact.objects.get(email="kim@globex.com").company_id == body["id"]
    # read, change, delete
    assert admin.get(f"/companies/{body['id']}").json()["domain"] == "globex.com"
    patched = admin.patch(f"/companies/{body['id']}", {"industry": "Manufacturing", "employee_count": None})
    assert (patched.json()["industry"], patched.json()["employee_count"]) == ("Manufacturing", None)
    assert admin.delete(f"/companies/{body['id']}").status_code == 204
    assert not Company.objects.filter(pk=body["id"]).exists()


@pytest.mark.django_db
def test_duplicate_domain_is_a_409(api, world):
    response = api("admin").post("/companies", {"name": "Acme again", "domain": "ACME.com"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "domain"
    assert Company.objects.filter(domain="acme.com").count() == 1


@pytest.mark.django_db
def test_company_filters_and_sort(api, world, users):
    admin = api("admin")

    def names(**params):
        return [c["name"] for c in admin.get("/companies", **params).json()["items"]]

    assert names(sort="name") == ["Acme", "Rep One Ltd"]
    assert names(sort="-name") == ["Rep One Ltd", "Acme"]
    assert names(owner=users["rep1"].pk) == ["Rep One Ltd"]
    assert names(q="ac") == ["Acme"]
    assert names(updated_since="2999-01-01T00:00:00Z") == []
