"""Flows the bot tests share."""

# A sound flow: a greeting, a menu with a way to an agent and a way out.
SOUND = [
    {"id": "hi", "type": "message", "text": "Hello!", "next": "menu"},
    {"id": "menu", "type": "options", "text": "How can we help?", "options": [
        {"label": "Talk to someone", "next": "email"}, {"label": "Nothing", "next": "bye"}]},
    {"id": "email", "type": "collect", "text": "Your email?", "field": "email",
     "next": "agent"},
    {"id": "agent", "type": "handoff", "text": "Passing you on.", "tags": ["bot"]},
    {"id": "bye", "type": "end", "text": "Bye!"},
]
