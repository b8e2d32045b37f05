"""The brand's page keeps its shared identity secret out of the page until it is asked for."""

from __future__ import annotations

from tests.conftest import csrf_from, login


def test_the_shared_secret_is_in_the_page_only_once_asked_for(client, admin, agent):
    made = client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()
    secret = made["identity_secret"]
    login(client, admin.email)
    page = client.get(f"/admin/brands/{made['id']}").text
    assert secret not in page
    assert '<code class="secret" id="brand-secret" hidden></code>' in page
    assert ">Reveal</button>" in page
    token = csrf_from(page)

    r = client.post(f"/admin/brands/{made['id']}/secret",
                    headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert r.status_code == 200 and r.json() == {"secret": secret}
    assert r.headers["cache-control"] == "no-store"
    r = client.post(f"/admin/brands/{made['id']}/secret", data={"csrf_token": token})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert f'<code class="secret" id="brand-secret">{secret}</code>' in r.text
    assert secret not in client.get(f"/admin/brands/{made['id']}").text

    forged = client.post(f"/admin/brands/{made['id']}/secret",
                         headers={"Accept": "application/json"})
    assert forged.status_code == 403 and secret not in forged.text
    login(client, agent.email)
    token = csrf_from(client.get("/account").text)
    refused = client.post(f"/admin/brands/{made['id']}/secret",
                          headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert refused.status_code == 403 and secret not in refused.text
