"""The widget routes validate their own bodies; the OpenAPI document still describes them."""

from __future__ import annotations

import pytest

from overture.widget.schemas import CheckIn, EventIn, IdentifyIn, PageViewIn


@pytest.mark.parametrize(("path", "model"), [("page-views", PageViewIn), ("check", CheckIn),
                                             ("events", EventIn), ("identify", IdentifyIn)])
def test_each_hot_route_documents_its_body_and_answer(client, path, model):
    spec = client.get("/openapi.json").json()
    op = spec["paths"][f"/widget/v1/{{channel_key}}/{path}"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == set(model.model_fields)
    assert set(body.get("required", [])) == {n for n, f in model.model_fields.items()
                                             if f.is_required()}
    assert "$ref" in op["responses"]["200"]["content"]["application/json"]["schema"]
    assert [p["name"] for p in op["parameters"]] == ["channel_key"]
