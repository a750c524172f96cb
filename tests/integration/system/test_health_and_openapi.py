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

    def has_examples(schema: dict) -> bool:
        if "$ref" in schema:
            return has_examples(schemas[schema["$ref"].split("/")[-1]])
        if "allOf" in schema:
            return any(has_examples(s) for s in schema["allOf"])
        if "items" in schema:
            return has_examples(schema["items"])
        return "examples" in schema or any(
            "examples" in p for p in schema.get("properties", {}).values()
        )

    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operations += 1
            assert operation.get("summary"), (method, path)
            if path.startswith("/api/"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            body = operation.get("requestBody")
            if body:
                assert has_examples(body["content"]["application/json"]["schema"]), (method, path)
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            content = ok.get("content", {}).get("application/json")
            if content:
                assert has_examples(content["schema"]), (method, path, "response")
    assert operations >= 20
