import pytest
from django.test import Client


@pytest.mark.django_db
def test_openapi_schema_lists_every_resource():
    # when anyone fetches the schema
    response = Client().get("/api/v1/openapi.json")
    # then it is served and documents each resource's collection and item paths
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in ("companies", "contacts", "deals", "pipelines", "activities", "campaigns", "touchpoints"):
        singular = {"companies": "company", "activities": "activity"}.get(resource, resource[:-1])
        assert set(paths[f"/api/v1/{resource}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{{singular}_id}}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/touchpoints/batch"]) == {"post"}
    assert set(paths["/api/v1/deals/{deal_id}/move"]) == {"post"}
    assert set(paths["/api/v1/deals/{deal_id}/contacts/{contact_id}"]) == {"put", "delete"}
    assert set(paths["/api/v1/contacts/{contact_id}/lifecycle"]) == {"post"}
    assert set(paths["/api/v1/contacts/{contact_id}/timeline"]) == {"get"}


@pytest.mark.django_db
def test_api_docs_page_is_served():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
