"""The OpenAPI schema says what the API answers (schemathesis checks it against a live
server: tests/api/test_schemathesis.py; these are the cases a review found)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def response(schema, path, code="200"):
    content = schema["paths"][path]["get"]["responses"][code]["content"]["application/json"]
    return content["schema"]


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", [])}


@pytest.mark.parametrize("path", ["/api/returns/chase/", "/api/risk-log/",
                                  "/api/risk-log/priorities/"])
def test_lists_that_answer_arrays_are_documented_as_arrays(schema, path):
    body = response(schema, path)
    assert body["type"] == "array"
    item = resolve(schema, body["items"])
    assert {"location_id", "cqc_location_id", "name", "locality"} <= set(item["properties"])


def test_latest_is_a_page_of_returns_each_with_its_cqc_id(schema):
    page = resolve(schema, response(schema, "/api/returns/latest/"))
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    item = resolve(schema, page["properties"]["results"]["items"])
    assert "cqc_location_id" in item["properties"]
    assert {"page", "page_size", "as_of"} <= set(parameters(schema, "/api/returns/latest/"))


@pytest.mark.parametrize("component, field", [
    ("Return", "cqc_location_id"), ("Outbreak", "cqc_location_id"),
    ("Allocation", "cqc_location_id"), ("RiskLogRow", "override_expires_on"),
    ("ChaseRow", "last_return")])
def test_fields_that_may_be_null_are_marked_nullable(schema, component, field):
    prop = schema["components"]["schemas"][component]["properties"][field]
    assert prop.get("nullable") or any(
        option.get("type") == "null" for option in prop.get("oneOf", []) + prop.get("anyOf", []))


@pytest.mark.parametrize("path, names", [
    ("/api/returns/", {"page", "page_size", "from", "to", "location"}),
    ("/api/returns/summary/", {"as_of", "previous", "authority"}),
    ("/api/outbreaks/tracker/", {"as_of", "since", "authority"}),
    ("/api/risk-log/", {"as_of", "authority"})])
def test_query_parameters_are_documented(schema, path, names):
    assert names <= set(parameters(schema, path))


def test_page_size_is_documented_with_its_bounds(schema):
    page_size = parameters(schema, "/api/returns/")["page_size"]["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, 500)


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    assert "Error" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("400", "401", "403", "404"):
                assert operation["responses"][code]["content"]["application/json"][
                    "schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_no_two_serializers_share_a_component_name(schema):
    assert "StatusOverrideRequest" in schema["components"]["schemas"]
    assert "OverrideRequest" in schema["components"]["schemas"]


@pytest.mark.parametrize("path", ["/api/outbreaks/{id}/updates/", "/api/outbreaks/{id}/status/"])
def test_actions_that_create_document_201_as_they_answer(schema, path):
    """Found by schemathesis: these answer 201 Created, so the schema must say 201."""
    responses = schema["paths"][path]["post"]["responses"]
    assert "201" in responses and "200" not in responses
