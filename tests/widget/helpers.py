"""A scripted widget: what the browser does, over the widget API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import jwt

from overture.kit.clock import utcnow

ORIGIN = "https://shop.example"


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(10)


@dataclass
class Browser:
    client: object
    key: str
    visitor_id: str = field(default_factory=lambda: new_id("v"))
    session_id: str = field(default_factory=lambda: new_id("s"))
    language: str = "en-US"
    attributes: dict = field(default_factory=dict)
    last: dict | None = None

    def _post(self, path: str, body: dict, **kw):
        return self.client.post(f"/widget/v1/{self.key}/{path}", json=body,
                                headers={"Origin": ORIGIN, **kw.get("headers", {})})

    def view(self, url: str = "https://shop.example/", title: str = "Home",
             referrer: str = "", **extra) -> dict:
        r = self._post("page-views", {
            "visitor_id": self.visitor_id, "session_id": self.session_id,
            "event_id": new_id("e"), "url": url, "title": title, "referrer": referrer,
            "language": self.language, "attributes": self.attributes, **extra})
        assert r.status_code == 200, r.text
        self.last = r.json()
        return self.last

    def check(self) -> dict:
        r = self._post("check", {"visitor_id": self.visitor_id,
                                 "page_view_id": self.last["page_view_id"]})
        assert r.status_code == 200, r.text
        self.last = r.json()
        return self.last

    def event(self, kind: str, event_id: str | None = None, delivery_id: int | None = None):
        delivery_id = delivery_id or self.last["show"]["delivery_id"]
        return self._post("events", {"visitor_id": self.visitor_id,
                                     "event_id": event_id or new_id("e"),
                                     "delivery_id": delivery_id, "kind": kind})

    def identify(self, secret: str, external_id: str, name: str = "", **claims):
        token = make_jwt(secret, external_id, name, **claims)
        return self._post("identify", {"visitor_id": self.visitor_id, "token": token})

    def new_session(self) -> None:
        self.session_id = new_id("s")

    @property
    def shown(self) -> str | None:
        show = (self.last or {}).get("show")
        return show["plain_text"] if show else None


def make_jwt(secret: str, external_id: str, name: str = "", exp_seconds: int = 3600,
             **claims) -> str:
    now = int(utcnow().timestamp())
    payload = {"external_id": external_id, "name": name, "exp": now + exp_seconds, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")
