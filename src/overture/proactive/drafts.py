"""The three ready-made drafts every account gets once, in its default language."""

from __future__ import annotations

TEXTS = {
    "en": {
        "first": ("Greet first-time visitors",
                  "Hi there 👋 First time here? Ask us anything — we're happy to help.",
                  "Thanks! An agent will be with you shortly."),
        "pricing": ("Offer help on the pricing page",
                    "Comparing plans? We can help you pick the **right one** for your team.",
                    "Thanks! Someone from our team will answer in a moment."),
        "returning": ("Welcome back returning customers",
                      "Welcome back {{first_name}}! Anything we can help you with today?",
                      "Great to see you again. An agent will reply shortly."),
    },
    "pt_BR": {
        "first": ("Cumprimentar quem visita pela primeira vez",
                  "Olá 👋 Primeira vez por aqui? Pergunte o que quiser — estamos aqui para ajudar.",
                  "Obrigado! Um agente vai falar com você em instantes."),
        "pricing": ("Oferecer ajuda na página de preços",
                    "Comparando planos? Podemos ajudar você a escolher o **plano certo**.",
                    "Obrigado! Alguém da nossa equipe vai responder em instantes."),
        "returning": ("Dar boas-vindas a clientes que voltam",
                      "Que bom ver você de novo {{first_name}}! Podemos ajudar em algo hoje?",
                      "Que bom ver você de novo. Um agente vai responder em instantes."),
    },
}


def ready_made(locale: str) -> list[dict]:
    t = TEXTS.get(locale, TEXTS["en"])
    return [
        {**d, "name": t[d["key"]][0], "message": t[d["key"]][1],
         "response": {"type": "agent", "collect": ["name", "email"], "follow_up": t[d["key"]][2]}}
        for d in _SHAPES
    ]


_SHAPES = [
    {"key": "first", "conditions": {"all": [
        {"field": "visit_history", "operator": "is", "value": "new"}]},
     "trigger": {"event": "on_page", "seconds": 5}, "frequency": "once_per_customer",
     "tags": ["proactive", "first-visit"]},
    {"key": "pricing", "conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/pricing", "/plans"]}]},
     "trigger": {"event": "on_page", "seconds": 30}, "frequency": "once_per_visit",
     "tags": ["proactive", "pricing"]},
    {"key": "returning", "conditions": {"all": [
        {"field": "visit_history", "operator": "is", "value": "returning"}]},
     "trigger": {"event": "page_load"}, "frequency": "once_per_visit",
     "tags": ["proactive", "returning"]},
]
