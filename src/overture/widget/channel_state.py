"""What a widget request needs of its channel, held in memory per process.

The channel row, the account settings it needs and the compiled rules, loaded in one go and
kept until something they depend on changes. Changes reach every process through the hub
(see wiring.py) and land in `ChannelStates.invalidate`.

A load that raced with a change is never kept: each invalidation raises a generation counter,
and a load stores its result only if no invalidation touching its channel happened since it
began. (Otherwise: load reads → a publish commits → invalidation → the stale load is stored,
and the published message stays missing until the next change.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.engine import Connection

from overture.accounts.models import AccountSettings
from overture.bots.models import Bot
from overture.channels.models import MESSAGING_KINDS, Channel
from overture.i18n import LOCALES, normalise
from overture.proactive import stats
from overture.proactive.engine import Entry, compile_channel
from overture.webhooks.models import Webhook

# A safety net only: invalidation through the hub is what makes changes apply at once.
TTL_SECONDS = 300.0
ALL = -1  # in an invalidation: every channel


# The languages the widget speaks, as BCP-47 tags (the keys of `Channel.translations`), and
# the locale of overture.i18n each one is.
LANGUAGES = {locale.replace("_", "-"): locale for locale in LOCALES}
# A visitor's tag (`pt-BR`, `pt`, `en-US`, `pt_br`) as a supported locale, or None; cached,
# for it runs on every page view that shows a message.
match_language = lru_cache(maxsize=1024)(normalise)


@dataclass(frozen=True, slots=True)
class Texts:
    """What the visitor reads in one language: the launcher text and the sender's name."""

    locale: str
    launcher_text: str
    sender_name: str


def texts_by_locale(name: str, launcher_text: str, sender_name: str,
                    translations: dict | None) -> dict[str, Texts]:
    """Each supported locale's texts, a missing translation falling back to the channel's
    own text (and the sender's name to the channel's name)."""
    out = {}
    for tag, locale in LANGUAGES.items():
        given = (translations or {}).get(tag) or {}
        out[locale] = Texts(locale=locale,
                            launcher_text=given.get("launcher_text") or launcher_text,
                            sender_name=given.get("sender_name") or sender_name or name)
    return out


@dataclass(frozen=True, slots=True)
class ChannelState:
    id: int
    key: str
    name: str
    kind: str
    allowed_origins: tuple[str, ...]
    color: str
    launcher_text: str
    sender_name: str
    sender_avatar_url: str
    locale: str
    visit_timeout_minutes: int
    entries: tuple[Entry, ...]
    loaded: float
    launcher_asks_contact: bool = False
    texts: dict[str, Texts] | None = None  # by locale; see `texts_for`
    # The connected bot while published (None otherwise): the sender of bot responses.
    bot_name: str | None = None
    bot_avatar_url: str = ""
    greeting: bool = False  # the bot has a greeting answer for the launcher
    time_zone: str = "UTC"  # the account's: the days its statistics count on
    # Event type → the active webhooks that take it: only those are written to the outbox.
    hooks: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def texts_for(self, language: str | None) -> Texts:
        """The texts in the visitor's language, or in the account's default language when the
        widget doesn't speak theirs. No I/O: this runs on every page view that shows."""
        texts = self.texts or {}
        chosen = texts.get(match_language(language) or self.locale)
        if chosen is None:
            return Texts(self.locale, self.launcher_text, self.sender_name or self.name)
        return chosen


_CHANNEL = (select(Channel.id, Channel.key, Channel.name, Channel.kind,
                   Channel.allowed_origins,
                   Channel.color, Channel.launcher_text, Channel.sender_name,
                   Channel.sender_avatar_url, Channel.launcher_asks_contact,
                   Channel.translations, Bot.name.label("bot_name"),
                   Bot.avatar_url.label("bot_avatar_url"), Bot.greeting_answer_id)
            .outerjoin(Bot, (Bot.id == Channel.bot_id) & (Bot.status == "published")))
_HOOKS = (select(Webhook.id, Webhook.events_text).where(Webhook.active.is_(True))
          .order_by(Webhook.id))
_SETTINGS = select(AccountSettings.default_locale, AccountSettings.visit_timeout_minutes,
                   AccountSettings.time_zone)


def load_channel_state(conn: Connection, key: str) -> ChannelState | None:
    channel = conn.execute(_CHANNEL.where(Channel.key == key)).first()
    if channel is None:
        return None
    settings = conn.execute(_SETTINGS.where(AccountSettings.id == 1)).first()
    entries = compile_channel(conn, channel.id) if channel.kind in MESSAGING_KINDS else ()
    hooks: dict[str, tuple[int, ...]] = {}
    for webhook_id, events in conn.execute(_HOOKS):
        for event in filter(None, events.split(",")):
            hooks[event] = (*hooks.get(event, ()), webhook_id)
    return ChannelState(
        id=channel.id, key=channel.key, name=channel.name, kind=channel.kind,
        allowed_origins=tuple(channel.allowed_origins or ()), color=channel.color,
        launcher_text=channel.launcher_text, sender_name=channel.sender_name,
        sender_avatar_url=channel.sender_avatar_url,
        locale=settings.default_locale if settings else "en",
        visit_timeout_minutes=settings.visit_timeout_minutes if settings else 30,
        entries=entries, loaded=time.monotonic(),
        launcher_asks_contact=bool(channel.launcher_asks_contact),
        texts=texts_by_locale(channel.name, channel.launcher_text, channel.sender_name,
                              channel.translations),
        bot_name=channel.bot_name, bot_avatar_url=channel.bot_avatar_url or "",
        greeting=channel.bot_name is not None and channel.greeting_answer_id is not None,
        time_zone=(settings.time_zone if settings else None) or "UTC", hooks=hooks,
    )


class ChannelStates:
    """Per-process cache of `ChannelState` by channel key, with generation checks."""

    def __init__(self, loader: Callable[[Connection, str], ChannelState | None]
                 = load_channel_state) -> None:
        self._loader = loader
        self._by_key: dict[str, ChannelState] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._changed_at: dict[int, int] = {}  # channel id → generation of its last change
        self._all_changed_at = 0
        self.loads = 0  # for tests and benchmarks
        stats.forget_zone()  # a new app: its account's zone is read again

    def cached(self, key: str) -> ChannelState | None:
        state = self._by_key.get(key)
        if state is not None and time.monotonic() - state.loaded < TTL_SECONDS:
            return state
        return None

    def load(self, conn: Connection, key: str) -> ChannelState | None:
        """The channel's state, from the cache or the database (kept only if still current)."""
        state = self.cached(key)
        if state is not None:
            return state
        began = self._generation
        state = self._loader(conn, key)
        self.loads += 1
        if state is not None:
            with self._lock:
                if max(self._all_changed_at, self._changed_at.get(state.id, 0)) <= began:
                    self._by_key[key] = state
                    # The account's zone, current as this state is: counting needs no query.
                    stats.use_zone(state.time_zone)
        return state

    def invalidate(self, channel_ids: Iterable[int] | None = None) -> None:
        ids = None if channel_ids is None else set(channel_ids)
        with self._lock:
            self._generation += 1
            if ids is None or ALL in ids:  # also what a change of the settings does
                self._all_changed_at = self._generation
                self._by_key.clear()
                stats.forget_zone()
                return
            for cid in ids:
                self._changed_at[cid] = self._generation
            for key in [k for k, s in self._by_key.items() if s.id in ids]:
                del self._by_key[key]
