"""The three ready-made drafts every account gets once, in its default language.

Everything an admin reads in them follows that language: names, texts, follow-ups, tags, and
the pages the pricing draft looks for (a Brazilian site's pricing page is /precos as often as
/pricing, so both are listed).
"""

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

# The pages of the pricing draft and the tags of each draft, per language. Tags follow the
# server's rule (lower-case words of letters, digits, _, - and :).
PLACES = {
    "en": {
        "pricing_pages": ["/pricing", "/plans"],
        "tags": {"first": ["proactive", "first-visit"], "pricing": ["proactive", "pricing"],
                 "returning": ["proactive", "returning"]},
    },
    "pt_BR": {
        "pricing_pages": ["/precos", "/planos", "/pricing", "/plans"],
        "tags": {"first": ["proativa", "primeira-visita"], "pricing": ["proativa", "precos"],
                 "returning": ["proativa", "retorno"]},
    },
}


def _language(locale: str | None) -> str:
    """pt_BR, pt-BR, pt-br and pt all mean the Brazilian Portuguese drafts; the rest English."""
    tag = (locale or "").replace("-", "_").lower()
    return "pt_BR" if tag.split("_")[0] == "pt" else "en"


def ready_made(locale: str) -> list[dict]:
    language = _language(locale)
    t, places = TEXTS[language], PLACES[language]
    conditions = {
        "first": {"all": [{"field": "visit_history", "operator": "is", "value": "new"}]},
        "pricing": {"all": [{"field": "page_url", "operator": "contains",
                             "value": list(places["pricing_pages"])}]},
        "returning": {"all": [{"field": "visit_history", "operator": "is",
                               "value": "returning"}]},
    }
    return [
        {**d, "name": t[d["key"]][0], "message": t[d["key"]][1],
         "response": {"type": "agent", "collect": ["name", "email"], "follow_up": t[d["key"]][2]},
         "conditions": conditions[d["key"]], "tags": list(places["tags"][d["key"]])}
        for d in _SHAPES
    ]


_SHAPES = [
    {"key": "first", "trigger": {"event": "on_page", "seconds": 5},
     "frequency": "once_per_customer"},
    {"key": "pricing", "trigger": {"event": "on_page", "seconds": 30},
     "frequency": "once_per_visit"},
    {"key": "returning", "trigger": {"event": "page_load"}, "frequency": "once_per_visit"},
]
