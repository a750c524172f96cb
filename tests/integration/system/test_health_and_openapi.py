"""Health answers for the database; the OpenAPI document covers every endpoint with examples."""

from litestar.testing import TestClient

from kernel.settings import Settings
from workbridge.app import create_app


def test_health_is_200_with_the_database_reachable(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_health_is_503_when_the_database_is_unreachable(clock) -> None:
    unreachable = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"
    )
    with TestClient(create_app(unreachable, clock=clock)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_openapi_ui_and_document(client) -> None:
    assert client.get("/schema").status_code == 200
    document = client.get("/schema/openapi.json").json()
    assert document["info"]["title"] == "Workbridge"
    assert "BearerToken" in document["components"]["securitySchemes"]
    schemas = document["components"]["schemas"]

    def has_examples(schema: dict, depth: int = 0) -> bool:
        """Examples on the schema, or on a property, looking through refs a few levels."""
        if depth > 6:
            return False
        if "examples" in schema:
            return True
        if "$ref" in schema:
            return has_examples(schemas[schema["$ref"].split("/")[-1]], depth + 1)
        nested = [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]
        if "items" in schema:
            nested.append(schema["items"])
        nested += list(schema.get("properties", {}).values())
        return any(has_examples(s, depth + 1) for s in nested)

    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operations += 1
            assert operation.get("summary"), (method, path)
            if path.startswith("/api/"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            body = operation.get("requestBody")
            if body and "application/json" in body["content"]:
                assert has_examples(body["content"]["application/json"]["schema"]), (method, path)
            if path.startswith("/webhooks/"):
                continue  # gateways get the fixed acknowledgement their contract asks for
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            content = ok.get("content", {}).get("application/json")
            if content:
                assert has_examples(content["schema"]), (method, path, "response")
    assert operations >= 20
