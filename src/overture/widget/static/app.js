/* Overture widget app, loaded by /widget.js. Plain JS, no dependencies.
 *
 * Everything the visitor sees lives in one shadow root (closed; `data-shadow="open"` on the
 * embed tag opens it, for tests and debugging) attached to one element at the end of <body>,
 * shown in the browser's top layer where it can be, over the visual viewport.
 * Server and host-page text only ever reaches the page as text nodes, never as HTML.
 * Host pages may replace built-ins before or after this runs: the app keeps its own copies
 * (or does without: no Array.prototype method, no bind, its own JSON writer).
 * The protocol is docs/widget-protocol.md.
 */
(function (w, d) {
  'use strict';

  var me = d.currentScript;
  if (!me) return;
  // Set by the loader; an older loader passed the key as attributes and used `Overture`.
  var boot = me.overture || { key: me.getAttribute('data-channel') || '', global: 'Overture',
    shadow: me.getAttribute('data-shadow'), queue: w.Overture || {}, early: {} };
  var early = boot.early || {};
  var KEY = boot.key;
  var API = early.api || new URL('/widget/v1/' + encodeURIComponent(KEY) + '/', me.src).href;
  var SHADOW = boot.shadow === 'open' ? 'open' : 'closed';
  var queued = boot.queue.q || [];

  /* ---------- safe copies of what the host page could replace later ---------- */

  var fetchNow = w.fetch;
  var apply = Reflect.apply;
  var hasOwn = Object.prototype.hasOwnProperty;
  var nativeIsArray = Array.isArray;
  var parse = JSON.parse;
  try { if (parse('{"a":[1]}').a[0] !== 1) parse = null; } catch (e) { parse = null; }
  if (!parse) parse = pristineParse();

  /** JSON.parse from a fresh realm, for a host page that replaced it before we came. */
  function pristineParse() {
    var frame = d.createElement('iframe');
    frame.style.display = 'none';
    (d.body || d.documentElement).appendChild(frame);
    var fresh = frame.contentWindow.JSON.parse;
    frame.remove();
    return fresh;
  }

  function each(list, fn) { for (var i = 0; i < list.length; i++) fn(list[i], i); }
  function find(list, test) {
    for (var i = 0; i < list.length; i++) if (test(list[i])) return list[i];
    return null;
  }
  /** The items of `list` from `start` on, in a new array. */
  function copy(list, start) {
    var out = [];
    for (var i = start || 0; i < list.length; i++) out[out.length] = list[i];
    return out;
  }
  function drop(list, item) {
    var at = -1;
    for (var i = 0; i < list.length && at < 0; i++) if (list[i] === item) at = i;
    if (at < 0) return;
    for (i = at; i < list.length - 1; i++) list[i] = list[i + 1];
    list.length -= 1;
  }
  function add(list, item) { list[list.length] = item; }

  /** An object's own enumerable names (as Object.keys, which a page may have replaced). */
  function keys(o) {
    var out = [];
    for (var k in o) if (apply(hasOwn, o, [k])) out[out.length] = k;
    return out;
  }

  function isArray(v) {
    return typeof nativeIsArray === 'function' ? nativeIsArray(v) : v instanceof Array;
  }

  /** The lines of a text, without String.prototype.split. */
  function lines(text) {
    var out = [];
    var line = '';
    for (var i = 0; i < text.length; i++) {
      if (text[i] === '\n') { out[out.length] = line; line = ''; } else line += text[i];
    }
    out[out.length] = line;
    return out;
  }

  /** JSON text of plain data: strings, numbers, booleans, null, arrays and objects. */
  function json(v) {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') return isFinite(v) ? String(v) : 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') {
      return '"' + v.replace(/[\\"\u0000-\u001f\u2028\u2029]/g, function (c) {
        return '\\u' + (c.charCodeAt(0) + 65536).toString(16).slice(1);
      }) + '"';
    }
    var out = '';
    if (isArray(v)) {
      each(v, function (x) { out += (out ? ',' : '') + json(x); });
      return '[' + out + ']';
    }
    each(keys(v), function (k) {
      if (v[k] !== undefined) out += (out ? ',' : '') + json(k) + ':' + json(v[k]);
    });
    return '{' + out + '}';
  }

  function read(text) { try { return parse(text); } catch (e) { return null; } }

  /* ---------- words ---------- */

  var LANG = /^pt\b/i.test(navigator.language || '') ? 'pt-BR' : 'en';
  var T = LANG === 'pt-BR' ? {
    dismiss: 'Fechar mensagem', close: 'Fechar', open: 'Abrir chat', send: 'Enviar',
    name: 'Seu nome', email: 'Seu e-mail', message: 'Sua mensagem',
    badEmail: 'Informe um e-mail válido', noName: 'Informe seu nome',
    noMessage: 'Escreva sua mensagem', write: 'Escreva uma mensagem…', you: 'Você',
    sending: 'Enviando…', notSent: 'Não enviada', failed: 'Não foi possível enviar. Tente de novo.',
    ended: 'Esta conversa foi encerrada', unread: 'Nova mensagem',
    from: 'Mensagem de ', opens: '(abrir o chat)',
    hello: 'Envie sua mensagem: respondemos por aqui.',
    over: 'A conversa foi encerrada', answer: 'Escreva sua resposta'
  } : {
    dismiss: 'Dismiss message', close: 'Close', open: 'Open chat', send: 'Send',
    name: 'Your name', email: 'Your email', message: 'Your message',
    badEmail: 'Please enter a valid email', noName: 'Please enter your name',
    noMessage: 'Please write your message', write: 'Write a message…', you: 'You',
    sending: 'Sending…', notSent: 'Not sent', failed: 'Could not send. Please try again.',
    ended: 'This conversation has ended', unread: 'New message',
    from: 'Message from ', opens: '(open the chat)',
    hello: 'Send us a message and we will answer here.',
    over: 'The conversation has ended', answer: 'Please write your answer'
  };

  /* ---------- ids and storage ---------- */

  function rid(prefix) {
    var bytes = crypto.getRandomValues(new Uint8Array(12));
    for (var i = 0; i < 12; i++) prefix += (bytes[i] + 256).toString(16).slice(1);
    return prefix;
  }

  function stored(key) {
    try { return read(w.localStorage.getItem(key)); } catch (e) { return null; }
  }

  function keep(key, value) {
    try {
      if (value == null) w.localStorage.removeItem(key);
      else w.localStorage.setItem(key, typeof value === 'string' ? value : json(value));
    } catch (e) { /* kept in memory only */ }
  }

  /* ---------- HTTP ----------
   * Bodies go as text/plain (a "simple" request: no CORS preflight); failures are retried
   * with the same body, so the same event id. */

  function wait(ms) { return new Promise(function (ok) { setTimeout(ok, ms); }); }

  /** Resolves when the browser is back online, or after `ms` at most. */
  function back(ms) {
    return new Promise(function (ok) {
      var timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); w.removeEventListener('online', done); ok(); }
      w.addEventListener('online', done);
    });
  }

  /** The data of an answer, or an error with its status, code and whether to try again. */
  function answer(res) {
    return res.json().then(null, function () { return {}; }).then(function (data) {
      if (res.ok) return data;
      var problem = (data && data.error) || {};
      var err = new Error(problem.message || 'HTTP ' + res.status);
      err.status = res.status;
      err.code = problem.code;
      err.details = problem.details || [];
      err.retry = res.status >= 500 || res.status === 429;
      err.after = Number(res.headers.get('Retry-After')) || 0;
      throw err;
    });
  }

  function call(method, path, body, retries, keepalive) {
    if (retries == null) retries = 3;
    var text = body == null ? undefined : typeof body === 'string' ? body : json(body);
    function attempt(n) {
      var abort = new AbortController();
      var timeout = setTimeout(function () { abort.abort(); }, 15000);
      return new Promise(function (ok) {
        ok(fetchNow(API + path, { method: method, credentials: 'omit', mode: 'cors',
          signal: abort.signal, keepalive: !!keepalive, body: text,
          headers: text ? { 'Content-Type': 'text/plain;charset=UTF-8' } : {} }));
      }).then(function (res) {
        clearTimeout(timeout);
        return answer(res);
      }).then(null, function (err) {
        // A network failure (or timeout) is worth another try; a 4xx answer is not.
        clearTimeout(timeout);
        if (err.retry === false || n >= retries) throw err;
        return wait(Math.min(Math.max(err.after * 1000, 500 * Math.pow(2, n)), 10000))
          .then(function () { return attempt(n + 1); });
      });
    }
    return attempt(0);
  }

  /* ---------- state ---------- */

  // The loader made the ids; where storage or cookies are off they live in memory.
  var visitor = early.visitor || rid('v_');
  var session = early.session || rid('s_');
  var attributes = {};
  var handlers = {};
  var dead = false;         // the channel refused us (unknown key, origin not allowed)
  var chain = Promise.resolve();  // page views and identify run in order
  var seq = 0;              // the current page view's number; older answers are ignored
  var pageViewId = null;
  var pageStart = 0;
  var lastUrl = null;
  var timers = {};          // pending on_page seconds → timeout
  var tries = {};           // re-checks per pending moment (a timer may fire a bit early)
  var shown = null;         // the message in the bubble, or opened in the messenger
  var waiting = null;       // a message that arrived while the messenger was open
  var draft = null;         // what the messenger answers: an opened message, or {} (launcher)
  var chat = null;          // the conversation, once started (see below)
  var bot = null;           // a bot run under way: {id, m (its message, or the launcher's
                            // draft), run (as last heard), el (a choice being sent)}
  var config = {};
  var ui = null;            // set once mounted

  function later(fn) { chain = chain.then(fn).then(null, warn); return chain; }

  function warn(err) {
    try { console.warn('[overture]', err && err.message || err); } catch (e) { /* no console */ }
  }

  function emit(name, message, conversationId) {
    each(handlers[name] || [], function (fn) {
      var info = { messageId: message && message.message_id,
        deliveryId: message && message.delivery_id };
      if (conversationId) info.conversationId = conversationId;
      try {
        fn(info);
      } catch (e) {
        setTimeout(function () { throw e; });  // the host's error, reported as theirs
      }
    });
  }

  function adopt(data) {
    if (data && typeof data.visitor_id === 'string' && /^[\w-]{16,64}$/.test(data.visitor_id) &&
        data.visitor_id !== visitor) {
      visitor = data.visitor_id;
      keep('overture:visitor', visitor);
    }
  }

  /* ---------- events: kept until the server has them ----------
   * Each goes out with keepalive, so a navigation right after it does not cancel it, and stays
   * in localStorage until answered; the next page sends what is left (the server counts an
   * event id once). */

  var OUTBOX = 'overture:outbox:' + KEY;
  var DAY = 864e5;

  function outbox() {
    var list = stored(OUTBOX);
    return isArray(list) ? list : [];
  }

  function settle(eventId) {
    var list = outbox();
    var left = [];
    each(list, function (e) { if (e.body && e.body.event_id !== eventId) add(left, e); });
    keep(OUTBOX, left.length ? left : null);
  }

  function deliver(body) {
    return call('POST', 'events', body, 2, true).then(function () {
      settle(body.event_id);
    }, function (err) {
      if (err.retry === false) settle(body.event_id);  // refused for good: never resent
      warn(err);
    });
  }

  function report(kind, message) {
    var body = { visitor_id: visitor, event_id: rid('e_'), delivery_id: message.delivery_id,
      kind: kind };
    var list = outbox();
    if (list.length >= 50) list = copy(list, list.length - 49);
    add(list, { at: Date.now(), body: body });
    keep(OUTBOX, list);
    return deliver(body);
  }

  function resend() {
    var now = Date.now();
    each(outbox(), function (e) {
      if (e.body && now - e.at < DAY) deliver(e.body); else if (e.body) settle(e.body.event_id);
    });
  }

  /* ---------- page views and decisions ---------- */

  function pageView(url, title, first) {
    var referrer = lastUrl || d.referrer || '';
    lastUrl = url;
    var mine = ++seq;
    clearTimers();
    return later(function () {
      if (dead) return;
      // Every page view is reported; only the latest one's answer is used.
      if (mine === seq) pageStart = first ? first.start : Date.now();
      var body = first ? first.body : {
        visitor_id: visitor, session_id: session, event_id: rid('e_'),
        url: url.slice(0, 2000), title: (title || '').slice(0, 500),
        referrer: referrer.slice(0, 2000), language: (navigator.language || '').slice(0, 35),
        attributes: attributes
      };
      // The loader's request, if it went; else (or if it failed) ours, with the same event id.
      var sent = first ? first.pageView.then(answer) : call('POST', 'page-views', body);
      return sent.then(null, function (err) {
        if (!first || err.status === 403 || err.status === 404) throw err;
        return call('POST', 'page-views', body);
      }).then(function (decision) {
        adopt(decision);
        if (mine !== seq) return;
        pageViewId = decision.page_view_id;
        decide(decision);
      }, refused);
    });
  }

  function check(seconds, mine) {
    delete timers[seconds];
    if (dead || mine !== seq || pageViewId == null) return;
    call('POST', 'check', { visitor_id: visitor, page_view_id: pageViewId })
      .then(function (decision) { if (mine === seq) decide(decision, seconds); }, refused);
  }

  function refused(err) {
    if (err.status === 403 || err.code === 'channel_not_found') dead = true;
    warn(err);
  }

  function decide(decision, checked) {
    var mine = seq;
    each(decision.pending || [], function (seconds) {
      if (timers[seconds]) return;
      if (seconds === checked && (tries[seconds] = (tries[seconds] || 0) + 1) > 5) return;
      var due = pageStart + seconds * 1000 + 100 - Date.now();
      timers[seconds] = setTimeout(check, Math.max(due, 300), seconds, mine);
    });
    ready.then(function () { if (mine === seq) present(decision.show); });
  }

  function clearTimers() {
    each(keys(timers), function (s) { clearTimeout(timers[s]); });
    timers = {};
    tries = {};
  }

  function present(message) {
    if (ui.isOpen()) {
      if (message && (!shown || message.delivery_id !== shown.delivery_id)) waiting = message;
      return;
    }
    if (!message) {
      if (shown) { shown = null; ui.hideBubble(); }
      return;
    }
    if (shown && shown.delivery_id === message.delivery_id) return;
    shown = message;
    ui.showBubble(message);
    if (!message.repeat) emit('proactiveMessageDisplayed', message);
  }

  /* ---------- what the visitor does ---------- */

  function dismiss() {
    var message = shown;
    if (!message) return;
    shown = null;
    ui.hideBubble();
    report('dismissed', message);
    emit('proactiveMessageDismissed', message);
  }

  function openMessenger() {
    if (ui.isOpen()) return;
    var message = shown;
    shown = null;
    ui.hideBubble();
    if (message) {
      report('opened', message);
      emit('proactiveMessageClicked', message);
      // A new message replaces the conversation on screen; an open one comes back if this
      // one is closed unanswered.
      if (chat) leave(chat.status === 'open' || chat.pending.length > 0);
      bot = null;
      keep(RUN, null);
      draft = message;
    } else if (!chat && !draft) {
      draft = {};  // from the launcher: the customer starts a conversation
    }
    if (chat && chat.unread) { chat.unread = false; save(); }
    ui.open(message);
  }

  function closeMessenger() {
    if (!ui.isOpen()) return;
    ui.close();
    var message = draft;
    if (message && message.delivery_id && !message.starting) {
      draft = bot = null;
      keep(RUN, null);
      ui.clear();
      report('dismissed', message);
      emit('proactiveMessageDismissed', message);
      var before = stored(STORE);
      if (before && before.id > 0) resume(before);
    } else if (!message && chat && chat.status === 'solved' && !chat.pending.length) {
      leave();  // the customer has seen that it ended
      ui.clear();
    }
    if (waiting) { var next = waiting; waiting = null; present(next); }
  }

  /* ---------- the conversation: started by the first reply, then live on a WebSocket ----------
   * chat = {id, last (highest id received in order: where a socket resumes), status, seen (ids
   * rendered), pending (typed, not yet stored: {id: client id, body, state, el}), ws, ...}.
   * It is kept in localStorage per channel, so the next page (or a reload) opens it again. */

  var STORE = 'overture:conversation:' + KEY;
  var RUN = 'overture:run:' + KEY;  // the id of a bot run under way

  function save() {
    if (!chat) return keep(STORE, null);
    var pending = [];
    each(chat.pending, function (p) { add(pending, [p.id, p.body]); });
    keep(STORE, { id: chat.id, last: chat.last, unread: chat.unread, pending: pending });
  }

  function leave(keepStored) {
    var c = chat;
    chat = null;
    if (c) { clearTimeout(c.retry); if (c.ws) c.ws.close(); }
    if (!keepStored) save();
  }

  function join(id, last, message) {
    leave(true);
    chat = { id: id, last: last || 0, status: 'open', seen: {}, pending: [], attempt: 0,
      rich: message };
    ui.chat();
    return chat;
  }

  function resume(s) {
    var c = join(s.id, s.last);
    c.unread = !!s.unread;
    ui.unread(c.unread);
    each(isArray(s.pending) ? s.pending : [], function (p) { queue(c, p[0], p[1]); });
    load(c, 0);
  }

  function load(c, after) {
    call('GET', 'conversations/' + c.id + '?after=' + after + '&visitor_id=' +
      encodeURIComponent(visitor)).then(function (data) { arrived(c, data); }, function (err) {
      if (chat !== c) return;
      if (err.retry !== false) return (c.retry = setTimeout(load, 10000, c, after));
      leave();  // gone, or not theirs
      ui.clear();
    });
  }

  /** The first reply starts the conversation: the data form's fields, or {message}, for an
   *  opened proactive message or (with no delivery) from the launcher. */
  function begin(message, fields) {
    message.starting = true;
    message.client_id = message.client_id || rid('c_');
    var body = { visitor_id: visitor, client_id: message.client_id };
    if (message.delivery_id) body.delivery_id = message.delivery_id;
    each(keys(fields), function (k) { body[k] = fields[k]; });
    return call('POST', 'conversations', body).then(function (data) {
      if (draft === message) draft = null;
      var c = join(data.conversation_id, 0, message.delivery_id ? message : null);
      arrived(c, data);
      emit('conversationStarted', message, c.id);  // the server counted the reply
    }, function (err) {
      message.starting = false;
      throw err;
    });
  }

  function arrived(c, data) {
    if (chat !== c) return;
    each(data.messages, function (m) { receive(c, m, true); });
    status(c, data.status);
    connect(c);
  }

  /** A stored message from any source, rendered once. Only the socket and GET deliver in
   *  order, so only they move `last`: an HTTP echo may overtake messages still unseen. */
  function receive(c, m, inOrder) {
    if (chat !== c || !m || c.seen[m.id]) return;
    c.seen[m.id] = 1;
    var fresh = m.id > c.last;
    if (inOrder && fresh) c.last = m.id;
    var p = null;
    if (m.author === 'customer') {
      p = find(c.pending, function (q) { return q.id === m.client_id; });
      if (p) drop(c.pending, p);
      if (fresh) c.status = 'open';  // the customer writing again reopens it (server-side too)
    }
    ui.add(m, p && p.el, c.rich);
    if (fresh && m.author !== 'customer') {
      news(c, (m.author_name ? m.author_name + ': ' : '') + m.body);
    }
    save();
  }

  /** Something new while the panel is closed: a dot on the launcher, said to screen readers. */
  function news(c, words) {
    if (ui.isOpen()) return;
    c.unread = true;
    ui.unread(true);
    ui.announce(words);
  }

  function status(c, value, pushed) {
    if (chat !== c || !value) return;
    if (value === 'solved' && c.status !== 'solved') {
      ui.ended(c.last);
      if (pushed) news(c, T.ended);
    }
    c.status = value;
  }

  function live(c) { return c.ws && c.ws.readyState === 1; }

  function connect(c) {
    if (chat !== c || c.ws) return;
    clearTimeout(c.retry);
    var ws;
    try {
      ws = new WebSocket(API.replace(/^http/, 'ws') + 'conversations/' + c.id + '/ws?visitor_id=' +
        encodeURIComponent(visitor) + '&after=' + c.last);
    } catch (e) { return lost(c); }
    c.ws = ws;
    var again = c.tried;  // the first socket follows a fresh read; any later one may not
    c.tried = true;
    ws.onopen = function () {
      // The socket replays missed messages, not status changes: ask for those.
      if (again) load(c, c.last);
      c.attempt = 0;
      c.heard = Date.now();
      flush(c);
    };
    ws.onmessage = function (e) {
      if (c.ws !== ws) return;
      c.heard = Date.now();
      var data = read(e.data) || {};
      if (data.type === 'message') receive(c, data.message, true);
      else if (data.type === 'status') status(c, data.status, true);
      else if (data.type === 'ping') ws.send('{"type":"pong"}');
      else if (data.type === 'error') {
        // Errors name no message: the oldest one sent on the socket goes over HTTP, which
        // answers with the stored copy or with the reason it was refused.
        var p = find(c.pending, function (q) { return q.state === 'ws'; });
        if (p) viaHttp(c, p);
      }
    };
    ws.onclose = function (e) { closed(c, ws, e.code); };
  }

  function closed(c, ws, code) {
    if (c.ws !== ws) return;
    c.ws = null;
    try { ws.close(); } catch (e) { /* closed already */ }
    if (chat !== c) return;
    // Messages that were on the socket, not yet echoed, go over HTTP (same client ids).
    each(copy(c.pending), function (p) { if (p.state === 'ws') viaHttp(c, p); });
    if (code === 4404) { leave(); ui.clear(); } else lost(c);
  }

  function lost(c) {
    clearTimeout(c.retry);
    // 0.5 s doubling to 10 s, each ±25 % so that clients cut together don't return together.
    var delay = Math.min(10000, 500 * Math.pow(2, c.attempt++) * (0.75 + Math.random() / 2));
    c.retry = setTimeout(connect, delay, c);
  }

  // A socket silent for well over two heartbeats (20 s) is dead; offline, it is dead at once.
  setInterval(function () {
    if (chat && live(chat) && Date.now() - chat.heard > 50000) closed(chat, chat.ws);
  }, 10000);
  w.addEventListener('offline', function () { if (chat && chat.ws) closed(chat, chat.ws); });
  w.addEventListener('online', function () {
    if (chat && !chat.ws) { chat.attempt = 0; connect(chat); }
    resend();
    if (pageViewId == null && !dead && lastUrl) pageView(lastUrl, d.title);  // never answered
  });

  function queue(c, id, body) {
    var p = { id: id, body: body, state: 'queued', el: ui.pending(body) };
    add(c.pending, p);
    return p;
  }

  function flush(c) {
    if (chat !== c) return;
    each(copy(c.pending), function (p) {
      if (p.state !== 'queued') return;
      if (!live(c)) return viaHttp(c, p);
      c.ws.send(json({ type: 'message', client_id: p.id, body: p.body }));
      p.state = 'ws';
    });
  }

  function viaHttp(c, p) {
    p.state = 'http';
    call('POST', 'conversations/' + c.id + '/messages',
      { visitor_id: visitor, client_id: p.id, body: p.body }).then(function (m) {
      receive(c, m, false);
    }, function (err) {
      if (chat !== c || !find(c.pending, function (q) { return q === p; })) return;
      if (err.retry !== false) {  // the network or the server: try again (socket or HTTP)
        p.state = 'queued';
        return setTimeout(flush, 5000, c);
      }
      drop(c.pending, p);
      ui.failed(p.el);
      save();
    });
  }

  /** What the customer typed in the messenger. */
  function say(text) {
    if (chat) {
      queue(chat, rid('c_'), text);
      save();
      return flush(chat);
    }
    var message = draft;
    if (!message) return;
    // The first message starts the conversation; any typed meanwhile follow it.
    var typed = message.typed = message.typed || [];
    add(typed, { body: text, el: ui.pending(text) });
    if (typed.length === 1) firstMessage(message, typed);
  }

  /** The first message starts the conversation (the same client id on every try: stored
   *  once); offline or with the server away it waits, then goes again. */
  function firstMessage(message, typed) {
    begin(message, { message: typed[0].body }).then(function () {
      each(copy(typed, 1), function (e) { say(e.body); });
    }, function (err) {
      warn(err);
      if (err.retry !== false && draft === message) {
        return back(10000).then(function () { if (draft === message) firstMessage(message, typed); });
      }
      message.typed = [];
      each(typed, function (e) { ui.failed(e.el); });
    });
  }

  /* ---------- the command queue ---------- */

  function command(name, arg, fn) {
    if (name === 'pageView') {
      arg = arg || {};
      return pageView(new URL(arg.url || location.href, location.href).href,
        arg.title == null ? d.title : String(arg.title));
    }
    if (name === 'set') {
      each(keys(arg || {}), function (k) { attributes[k] = arg[k]; });
    } else if (name === 'identify') {
      later(function () {
        if (dead) return;
        return call('POST', 'identify', { visitor_id: visitor, token: String(arg) }).then(adopt);
      });
    } else if (name === 'open') {
      ready.then(openMessenger);
    } else if (name === 'close') {
      ready.then(closeMessenger);
    } else if (name === 'on' && typeof fn === 'function') {
      add(handlers[arg] = handlers[arg] || [], fn);
    } else {
      warn('unknown command ' + name);
    }
  }

  function Overture(name, arg, fn) {
    try { command(name, arg, fn); } catch (e) { warn(e); }
  }
  Overture.l = 1;
  // Only the global the loader set up is replaced; a host's own is never touched.
  if (boot.global) w[boot.global] = Overture;

  /* ---------- single-page apps: route changes are page views ---------- */

  var routeTimer;
  function routeChanged() {
    // Let the app render (and set its title) first; report each new URL once.
    clearTimeout(routeTimer);
    routeTimer = setTimeout(function () {
      if (location.href !== lastUrl) pageView(location.href, d.title);
    }, 50);
  }

  if (w.navigation && typeof w.navigation.addEventListener === 'function') {
    // Every same-document navigation, even through a pushState the host's router took (or
    // bound) before the widget came.
    w.navigation.addEventListener('currententrychange', routeChanged);
  } else {
    each(['pushState', 'replaceState'], function (name) {
      var original = history[name];
      if (typeof original !== 'function') return;
      history[name] = function () {
        var result = apply(original, this, arguments);
        try { routeChanged(); } catch (e) { warn(e); }
        return result;
      };
    });
    w.addEventListener('popstate', routeChanged);
  }

  /* ---------- the DOM ---------- */

  function h(tag, attrs, children) {
    var el = d.createElement(tag);
    each(keys(attrs || {}), function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else if (attrs[k] != null && attrs[k] !== false) el.setAttribute(k, attrs[k]);
    });
    each(children || [], function (c) { if (c) el.appendChild(c); });
    return el;
  }

  function icon(path) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = d.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var p = d.createElementNS(ns, 'path');
    p.setAttribute('d', path);
    svg.appendChild(p);
    return svg;
  }

  var CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var CROSS = 'M6 6l12 12M18 6L6 18';

  /** Message text from runs: bold, italic, links and line breaks, as elements and text nodes. */
  function richText(el, runs) {
    each(runs || [], function (run) {
      each(lines(String(run.text == null ? '' : run.text)), function (part, i) {
        if (i) el.appendChild(h('br'));
        if (!part) return;
        var node = d.createTextNode(part);
        if (run.italic) node = h('em', null, [node]);
        if (run.bold) node = h('strong', null, [node]);
        if (run.href && /^(https?:|mailto:)/i.test(run.href)) {
          node = h('a', { href: run.href, target: '_blank', rel: 'noopener noreferrer' }, [node]);
        }
        el.appendChild(node);
      });
    });
    return el;
  }

  function safeUrl(url) { return /^https?:\/\//i.test(url || '') ? url : ''; }

  function ink(hex) {
    var n = parseInt(hex.slice(1), 16);
    return ((n >> 16) * 299 + (n >> 8 & 255) * 587 + (n & 255) * 114) / 1000 > 160 ? '#111' : '#fff';
  }

  // Distances from the screen's edges, inside the safe area (notches, home indicators).
  var EDGE = 'calc(16px + env(safe-area-inset-right, 0px))';
  var FOOT = 'calc(16px + env(safe-area-inset-bottom, 0px))';
  var ABOVE = 'calc(84px + env(safe-area-inset-bottom, 0px))';
  var CSS = '';
  each([
    ':host{all:initial}',
    '.ov{all:initial;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b}',
    '.ov *{box-sizing:border-box;margin:0}',
    'button,input,textarea{font:inherit;color:inherit}',
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '[hidden]{display:none!important}',
    'button{cursor:pointer;border:0;background:none;padding:0}',
    ':focus-visible{outline:3px solid #0b57d0;outline-offset:2px}',
    'svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}',
    '.launcher{position:absolute;right:' + EDGE + ';bottom:' + FOOT + ';display:flex;align-items:center;gap:8px;min-height:52px;min-width:52px;max-width:calc(100% - 32px);padding:0 15px;border-radius:26px;background:var(--c);color:var(--t);box-shadow:0 4px 14px rgba(0,0,0,.25);font-weight:600}',
    '.launcher .label{max-width:220px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.bubble{position:absolute;right:' + EDGE + ';bottom:' + ABOVE + ';width:300px;max-width:calc(100% - 32px)}',
    // Slides in without fading: the first frame that has the bubble shows it whole.
    '.card{position:relative;background:#fff;border-radius:12px;padding:12px 44px 12px 14px;box-shadow:0 6px 24px rgba(0,0,0,.22);animation:ov-in .2s ease-out}',
    '@keyframes ov-in{from{transform:translateY(10px)}}',
    '@media (prefers-reduced-motion:reduce){.card{animation:none}}',
    '.card .open{position:absolute;inset:0;border-radius:12px;width:100%}',
    '.card .who,.card .text{position:relative;pointer-events:none}',
    '.card .text{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:6;overflow:hidden;overflow-wrap:anywhere}',
    '.small .card .text{-webkit-line-clamp:4}',
    '.card a{pointer-events:auto;color:#0b57d0;text-decoration:underline}',
    '.card .x{position:absolute;top:0;right:0;width:44px;height:44px;border-radius:22px;display:grid;place-items:center;color:#555}',
    '.card .x svg{width:16px;height:16px}',
    '.card .x:hover{background:#eee}',
    '.who{display:flex;align-items:center;gap:8px;margin-bottom:4px;font-size:12px;font-weight:600;color:#555}',
    '.avatar{width:24px;height:24px;border-radius:12px;object-fit:cover}',
    '.panel{position:absolute;right:' + EDGE + ';bottom:' + ABOVE + ';width:360px;max-width:calc(100% - 32px);height:520px;max-height:calc(100% - 110px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.28);overflow:hidden}',
    // Phones: the messenger takes the whole screen, inside the safe area.
    '.small .panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;padding:env(safe-area-inset-top,0px) env(safe-area-inset-right,0px) env(safe-area-inset-bottom,0px) env(safe-area-inset-left,0px)}',
    '.small.open .launcher{display:none}',
    '.head{display:flex;align-items:center;gap:8px;padding:4px 4px 4px 16px;min-height:52px;background:var(--c);color:var(--t)}',
    '.head h2{flex:1;font-weight:700;font-size:16px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.close{width:44px;height:44px;border-radius:22px;display:grid;place-items:center;flex:none}',
    '.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;list-style:none}',
    '.msg{max-width:85%;padding:8px 12px;border-radius:12px;background:#f1f2f4;overflow-wrap:anywhere}',
    '.msg.visitor{align-self:flex-end;background:var(--c);color:var(--t)}',
    '.msg a{color:inherit;text-decoration:underline}',
    '.foot{border-top:1px solid #e3e3e3;padding:12px;display:flex;flex-direction:column;gap:8px}',
    'label{font-size:12px;font-weight:600;color:#444}',
    // 16 px and more: phones don't zoom into a field that gets focus.
    'input,textarea{width:100%;padding:8px 10px;border:1px solid #767676;border-radius:8px;background:#fff;color:#1b1b1b;font-size:16px}',
    'input[aria-invalid=true],textarea[aria-invalid=true]{border-color:#c5221f}',
    '.err{color:#c5221f;font-size:12px;min-height:1em}',
    '.send{align-self:flex-end;min-height:44px;min-width:44px;padding:8px 16px;border-radius:8px;background:var(--c);color:var(--t);font-weight:600}',
    '.row{display:flex;gap:8px;align-items:flex-end}',
    '.opts{display:flex;flex-wrap:wrap;gap:8px;justify-content:flex-end}',
    '.row textarea{flex:1;resize:none;height:44px}',
    '.form textarea{resize:vertical;min-height:72px}',
    '.launcher .dot{position:absolute;top:0;right:0;width:12px;height:12px;border-radius:6px;background:#d93025;box-shadow:0 0 0 2px #fff}',
    '.note{align-self:center;font-size:12px;color:#555;text-align:center}',
    '.state{display:block;font-size:11px;opacity:.85}',
    '.pending{opacity:.75}'
  ], function (rule) { CSS += rule + '\n'; });

  // The element the shadow root hangs on: over the visual viewport, letting clicks through,
  // with every property set by its own style attribute (!important beats any host rule).
  var HOST_STYLE = {
    all: 'initial', display: 'block', position: 'fixed', left: '0', top: '0', width: '100%',
    height: '100%', margin: '0', padding: '0', border: '0', background: 'transparent',
    overflow: 'visible', 'pointer-events': 'none', 'z-index': '2147483647'
  };

  function styleHost(host) {
    each(keys(HOST_STYLE), function (k) { host.style.setProperty(k, HOST_STYLE[k], 'important'); });
  }

  function mount() {
    var color = /^#[0-9a-f]{6}$/i.test(config.color || '') ? config.color : '#1f73b7';
    var sender = config.sender || {};
    var launcherText = config.launcher_text || '';

    var label = h('span', { 'class': 'label', text: launcherText, hidden: !launcherText });
    var launcherIcon = h('span', null, [icon(CHAT)]);
    var dot = h('span', { 'class': 'dot', hidden: true });
    var launcher = h('button', { 'class': 'launcher', type: 'button', 'aria-expanded': 'false',
      'aria-controls': 'ov-panel' }, [launcherIcon, label, dot]);
    var bubble = h('div', { 'class': 'bubble', role: 'status', 'aria-live': 'polite' });
    var herald = h('div', { 'class': 'vh', 'aria-live': 'polite' });  // news, panel closed
    // A list (role=log would hide the items' list semantics), read out as it grows.
    var log = h('ol', { 'class': 'log', 'aria-live': 'polite' });
    var foot = h('div', { 'class': 'foot', hidden: true });
    var closer = h('button', { 'class': 'close', type: 'button', 'aria-label': T.close },
      [icon(CROSS)]);
    var head = h('div', { 'class': 'head' }, [
      h('h2', { id: 'ov-title', text: sender.name || config.name || '' }), closer
    ]);
    var panel = h('div', { 'class': 'panel', id: 'ov-panel', role: 'dialog', tabindex: '-1',
      'aria-labelledby': 'ov-title', hidden: true }, [head, log, foot]);
    var box = h('div', { 'class': 'ov', lang: LANG }, [panel, bubble, launcher, herald]);
    box.style.setProperty('--c', color);
    box.style.setProperty('--t', ink(color));

    var host = d.createElement('overture-widget');
    styleHost(host);
    var root = host.attachShadow({ mode: SHADOW });
    try {
      // A constructed sheet: a host page whose policy refuses inline styles still allows it.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(h('style', { text: CSS }));
    }
    root.appendChild(box);
    // The top layer: above any z-index of the host page (a cookie bar, a sticky header).
    var layered = typeof host.showPopover === 'function';
    if (layered) host.setAttribute('popover', 'manual');
    d.body.appendChild(host);

    function onTop() {
      if (!layered) return;
      try {
        if (host.matches(':popover-open')) host.hidePopover();
        host.showPopover();  // shown last: above the host's own popovers and dialogs too
      } catch (e) { /* not connected, or the host removed us */ }
    }

    // Over the visual viewport, at the screen's own scale: on a page wider than the screen,
    // a desktop-only site shown zoomed out on a phone, a pinch-zoom or CSS zoom on the host's
    // html or body, the widget stays on screen and keeps its size.
    function fit() {
      var v = w.visualViewport;
      var scale = v && v.scale > 0 ? v.scale : 1;
      var outer = (host.parentNode && host.parentNode.currentCSSZoom) || 1;
      host.style.setProperty('zoom', String(1 / (outer * scale)), 'important');
      if (v) {
        // Lengths of a zoomed element are multiplied by its zoom (1 / scale in all).
        host.style.setProperty('left', v.offsetLeft * scale + 'px', 'important');
        host.style.setProperty('top', v.offsetTop * scale + 'px', 'important');
        host.style.setProperty('width', v.width * scale + 'px', 'important');
        host.style.setProperty('height', v.height * scale + 'px', 'important');
      }
      box.classList.toggle('small', (v ? v.width * scale : w.innerWidth) <= 480);
    }
    if (w.visualViewport) {
      w.visualViewport.addEventListener('resize', fit);
      w.visualViewport.addEventListener('scroll', fit);
    }
    w.addEventListener('resize', fit);
    fit();
    onTop();

    // A host that replaces its body (Turbo, pjax) or empties it takes the widget along: it
    // comes back, as it was.
    var watcher = new MutationObserver(stay);
    function watch() {
      watcher.disconnect();
      watcher.observe(d.documentElement, { childList: true });
      if (d.body) watcher.observe(d.body, { childList: true });
    }
    function stay() {
      if (host.isConnected || !d.body) return;
      d.body.appendChild(host);
      watch();
      fit();
      onTop();
    }
    watch();

    // A host popover shown later (a consent bar that comes late) would cover the bubble: the
    // widget goes back on top. Modal dialogs are left above: the page means them to be.
    d.addEventListener('toggle', function (e) {
      var t = e.target;
      if (t !== host && e.newState === 'open' && t.localName !== 'dialog' &&
          (bubble.firstChild || !panel.hidden)) onTop();
    }, true);

    function setLauncher() {
      var open = !panel.hidden;
      var withText = !open && !bubble.firstChild && !!launcherText;
      box.classList.toggle('open', open);
      label.hidden = !withText;
      launcherIcon.replaceChildren(icon(open ? CROSS : CHAT));
      launcher.setAttribute('aria-expanded', String(open));
      launcher.setAttribute('aria-label', open ? T.close
        : (withText ? T.open + ': ' + launcherText : T.open) +
          (dot.hidden ? '' : ' (' + T.unread + ')'));
    }

    function senderLine(from) {
      var avatar = safeUrl(from.avatar_url);
      return h('div', { 'class': 'who' }, [
        avatar && h('img', { 'class': 'avatar', src: avatar, alt: '' }),
        h('span', { text: from.name || '' })
      ]);
    }

    function item(mine, from, runs) {
      return h('li', { 'class': 'msg ' + (mine ? 'visitor' : 'agent') }, [
        mine ? h('span', { 'class': 'vh', text: T.you + ': ' }) : senderLine(from),
        richText(h('div'), runs)
      ]);
    }

    function state(el, text) {
      var s = el.querySelector('.state');
      if (s) s.remove();
      if (text) el.appendChild(h('span', { 'class': 'state', text: text }));
    }

    /** Stored messages in id order; messages still being sent stay at the end. */
    function place(el, id) {
      var at = log.lastChild;
      while (at && (at.classList.contains('pending') || !(+at.getAttribute('data-id') < id))) {
        at = at.previousSibling;
      }
      log.insertBefore(el, at ? at.nextSibling : log.firstChild);
      log.scrollTop = log.scrollHeight;
    }

    function append(el) {
      log.appendChild(el);
      log.scrollTop = log.scrollHeight;
      return el;
    }

    // One box to write in, kept across views so that half-typed text is never lost.
    var text = h('textarea', { 'aria-label': T.write, placeholder: T.write, rows: '1',
      maxlength: '10000' });
    var compose = h('form', { 'class': 'row' }, [
      text, h('button', { 'class': 'send', type: 'submit', text: T.send })
    ]);
    function send(e) {
      e.preventDefault();
      var value = text.value.trim();
      text.focus();
      if (!value) return;
      text.value = '';
      say(value);
    }
    compose.addEventListener('submit', send);
    text.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey) send(e);
    });

    function showCompose() {
      if (foot.firstChild !== compose) foot.replaceChildren(compose);
      foot.hidden = false;
      return text;
    }

    var WRONG = { name: T.noName, email: T.badEmail, message: T.noMessage, custom: T.answer };

    /** A form of fields (name, email, message; or a bot's one field, name, email or custom,
     *  labelled by its question `q`); `done(values)` sends it and may fail with the server's
     *  reasons. */
    function ask(fields, done, q) {
      var inputs = {};
      var err = h('p', { 'class': 'err', id: 'ov-err', 'aria-live': 'assertive' });
      var button = h('button', { 'class': 'send', type: 'submit', text: T.send });
      var form = h('form', { 'class': 'form', novalidate: '' });
      each(fields, function (f) {
        var id = 'ov-' + f;
        var input = f === 'message'
          ? h('textarea', { id: id, name: f, required: '', maxlength: '10000',
            'aria-describedby': 'ov-err' })
          : h('input', { id: id, name: f, type: f === 'email' ? 'email' : 'text',
            autocomplete: f === 'custom' ? 'off' : f, required: '', 'aria-describedby': 'ov-err' });
        inputs[f] = input;
        // A bot's question is on screen just above: the label says it again, unseen.
        form.appendChild(h('label', { 'for': id, text: q || T[f], 'class': q && 'vh' }));
        form.appendChild(input);
      });
      form.appendChild(err);
      form.appendChild(button);
      form.style.cssText = 'display:flex;flex-direction:column;gap:6px';
      function invalid(f, why) {
        err.textContent = why || WRONG[f];
        inputs[f].setAttribute('aria-invalid', 'true');
        inputs[f].focus();
      }
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (button.disabled) return;
        var values = {};
        var bad = null;
        each(fields, function (f) {
          var v = inputs[f].value.trim();
          var ok = f === 'email' ? /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(v) : !!v;
          inputs[f].setAttribute('aria-invalid', String(!ok));
          if (!ok && !bad) bad = f;
          values[f] = v;
        });
        if (bad) return invalid(bad);
        err.textContent = '';
        button.disabled = true;
        done(values).then(null, function (e) {
          button.disabled = false;
          // The server's checks are the last word (it refuses reserved domains, for one).
          var field = find(e.details || [], function (x) { return q || inputs[(x.loc || [])[0]]; });
          if (field) invalid(q ? fields[0] : field.loc[0], q && field.msg);
          else err.textContent = T.failed;
          warn(e);
        });
      });
      foot.replaceChildren(form);
      foot.hidden = false;
      return inputs[fields[0]];
    }

    /** A proactive message opened: it heads the messenger, and the reply it asks for waits. */
    function start(message) {
      ui.clear();
      append(item(false, message.sender || sender, message.text));
      var response = message.response || {};
      if (response.type === 'bot') return runBot(message);
      var collect = response.type === 'agent' ? response.collect || [] : [];
      if (!collect.length) return showCompose();
      return ask(collect, function (values) { return begin(message, values); });
    }

    /** Opened from the launcher with no conversation: a word of welcome and a way to write. */
    function welcome() {
      ui.clear();
      append(h('li', { 'class': 'note', text: T.hello }));
      if (!config.ask_contact) return showCompose();
      var first = draft;
      return ask(['name', 'email', 'message'], function (values) { return begin(first, values); });
    }

    /* ---------- bots: the server runs the flow; the widget shows it and sends the choices */

    /** Starts a run: the message's answer, or (from the launcher, `m` = {}) the greeting. */
    function runBot(m) {
      var b = bot = { m: m };
      if (!m.delivery_id) ui.clear();
      var body = { visitor_id: visitor, client_id: m.rc = m.rc || rid('c_') };
      if (m.delivery_id) body.delivery_id = m.delivery_id;
      call('POST', 'bot-runs', body).then(function (r) { took(b, r); }, function (e) {
        warn(e);
        if (bot !== b) return;
        bot = null;
        // No bot after all: the launcher offers to write instead.
        var focus = m.delivery_id ? append(h('li', { 'class': 'note', text: T.failed })) : welcome();
        if (!panel.hidden) (focus || panel).focus();
      });
    }

    function fetchRun(b) {
      return call('GET', 'bot-runs/' + b.id + '?visitor_id=' + encodeURIComponent(visitor))
        .then(function (r) { took(b, r); }, function (e) {
          warn(e);
          if (bot !== b) return;
          bot = null;
          if (e.retry === false) keep(RUN, null);
        });
    }

    /** The run as the server tells it: shown, kept for the next page, or handed to agents. */
    function took(b, r) {
      if (bot !== b) return;
      b.id = r.run_id;
      b.run = r;
      var going = r.status === 'running';
      keep(RUN, going ? b.id : null);
      if (!going) {
        bot = null;
        if (draft === b.m) draft = null;  // the launcher starts afresh
      }
      if (r.conversation_id) {
        // Handed off: the conversation goes on as any other, the bot's transcript first.
        var c = join(r.conversation_id, 0, b.m.delivery_id && b.m);
        load(c, 0);
        return emit('conversationStarted', b.m, c.id);
      }
      var focus = drawRun(b);
      if (!panel.hidden) (focus || panel).focus();
    }

    /** An answer to the step that waits; a step answered elsewhere (another tab) meanwhile
     *  brings the run as it is now. */
    function choose(b, p, option, value) {
      return call('POST', 'bot-runs/' + b.id + '/answers', { visitor_id: visitor,
        client_id: rid('c_'), step: p.step, option: option, value: value }).then(function (r) {
        b.m.starting = true;  // answered: closing is no dismissal (the server counted a reply)
        took(b, r);
      }, function (e) {
        if (e.status !== 409) throw e;  // not_current_step or run_finished: see where it is
        return fetchRun(b);
      });
    }

    /** The run's new lines, then its prompt; returns what takes the focus. */
    function drawRun(b) {
      var r = b.run;
      var q = '';
      if (b.el) b.el.remove();
      b.el = null;
      if (!r) return;
      each(r.messages, function (m) {
        if (m.author !== 'customer') q = m.body;
        if (log.querySelector('[data-id="' + m.id + '"]')) return;
        // The proactive message itself, on screen since the click, is the run's first line.
        var first = log.querySelector('.msg:not([data-id])');
        if (first) first.setAttribute('data-id', m.id); else ui.add(m, 0, b.m, r.bot);
      });
      if (r.status === 'ended') append(h('li', { 'class': 'note', text: T.over }));
      var p = r.prompt;
      foot.hidden = !p;
      foot.replaceChildren();
      if (!p) return;
      if (p.type !== 'options') {
        return ask([p.field], function (v) { return choose(b, p, null, v[p.field]); }, q);
      }
      var group = h('div', { 'class': 'opts', role: 'group', 'aria-label': q });
      each(p.options, function (o) {
        var button = h('button', { 'class': 'send', type: 'button', text: o.label });
        button.addEventListener('click', function () {
          // The buttons give way to the choice, as the customer's line.
          foot.hidden = true;
          foot.replaceChildren();
          b.el = ui.pending(o.label);
          choose(b, p, o.index).then(null, function (e) {
            warn(e);
            if (bot === b) (drawRun(b) || panel).focus();
          });
        });
        group.appendChild(button);
      });
      foot.appendChild(group);
      return group.firstChild;
    }

    launcher.addEventListener('click', function () {
      if (panel.hidden) openMessenger(); else closeMessenger();
    });
    closer.addEventListener('click', closeMessenger);
    box.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') return;
      if (!panel.hidden) { e.stopPropagation(); closeMessenger(); }
      else if (bubble.contains(root.activeElement)) {
        e.stopPropagation();
        dismiss();
        launcher.focus();
      }
    });

    ui = {
      isOpen: function () { return !panel.hidden; },
      showBubble: function (message) {
        var from = message.sender || sender;
        // Its name: who it is from, the text, and what a click does.
        var open = h('button', { 'class': 'open', type: 'button',
          'aria-labelledby': 'ov-from ov-text ov-opens' });
        var x = h('button', { 'class': 'x', type: 'button', 'aria-label': T.dismiss },
          [icon(CROSS)]);
        var card = h('div', { 'class': 'card' }, [
          open,
          senderLine(from),
          richText(h('p', { 'class': 'text', id: 'ov-text' }), message.text),
          x
        ]);
        open.addEventListener('click', openMessenger);
        x.addEventListener('click', function () { dismiss(); launcher.focus(); });
        bubble.replaceChildren(card,
          h('span', { id: 'ov-from', hidden: true, text: T.from + (from.name || '') + ':' }),
          h('span', { id: 'ov-opens', hidden: true, text: T.opens }));
        setLauncher();
        onTop();
      },
      hideBubble: function () { bubble.replaceChildren(); setLauncher(); },
      open: function (message) {
        var focus = message ? start(message)
          : bot ? drawRun(bot)
          : chat || (draft && draft.starting) ? showCompose()
          : config.greeting ? runBot(draft) : welcome();
        panel.hidden = false;
        dot.hidden = true;
        setLauncher();
        onTop();
        log.scrollTop = log.scrollHeight;
        (focus || panel).focus();
      },
      close: function () {
        panel.hidden = true;
        setLauncher();
        launcher.focus();
      },
      clear: function () { log.replaceChildren(); foot.replaceChildren(); foot.hidden = true; },
      /** A conversation takes over the messenger. */
      chat: function () {
        var typing = root.activeElement === text;
        log.replaceChildren();
        showCompose();
        if (typing || (!panel.hidden && !panel.contains(root.activeElement))) text.focus();
      },
      add: function (m, el, rich, from) {
        if (!el) {
          if (m.author === 'system') el = h('li', { 'class': 'note', text: m.body });
          else {
            el = item(m.author === 'customer', from || {
              name: m.author_name,
              avatar_url: (m.author === 'bot' ? config.bot || {} : m.author === 'sender' ? sender
                : {}).avatar_url
            }, rich && m.author !== 'customer' && m.body === rich.plain_text ? rich.text
              : [{ text: m.body }]);
          }
        }
        el.classList.remove('pending');
        state(el);
        el.setAttribute('data-id', m.id);
        place(el, m.id);
      },
      pending: function (body) {
        var el = append(item(true, null, [{ text: body }]));
        el.classList.add('pending');
        state(el, T.sending);
        return el;
      },
      failed: function (el) {
        el.classList.add('failed');
        state(el, T.notSent);
      },
      ended: function (id) {
        place(h('li', { 'class': 'note', 'data-id': id, text: T.ended }), id + 0.5);
      },
      rerun: function (id) { fetchRun(bot = { id: id, m: {} }); },
      unread: function (on) { dot.hidden = !on || !panel.hidden; setLauncher(); },
      announce: function (words) {
        herald.textContent = '';
        setTimeout(function () { herald.textContent = words; }, 50);
      }
    };
    setLauncher();
  }

  /* ---------- start ---------- */

  // The channel's look, asked for by the loader (or now). Resolves once the widget is on the
  // page; never settles if the channel refused us.
  var lang = encodeURIComponent(navigator.language || '');

  function askConfig() {
    return call('GET', 'config?lang=' + lang, null, 2).then(null, again);
  }

  /** Offline, or the server away: asked again when the browser is back online (or later);
   *  online and still refused (a page on an origin the channel doesn't allow), not forever. */
  var rounds = 0;
  function again(err) {
    if (err.retry === false || (navigator.onLine !== false && ++rounds > 2)) throw err;
    return back(30000).then(askConfig);
  }

  var asked = early.config ? early.config.then(answer).then(null, again) : askConfig();
  var ready = asked.then(function (data) {
    config = data || {};
    var avatar = safeUrl((config.sender || {}).avatar_url);
    if (avatar) new Image().src = avatar;  // ready before the bubble needs it
    return new Promise(function (ok) {
      if (d.body) ok(); else d.addEventListener('DOMContentLoaded', ok);
    }).then(function () {
      mount();
      var before = stored(STORE);
      if (before && before.id > 0) resume(before);  // the conversation goes on, on this page too
      else if (stored(RUN) > 0) ui.rerun(stored(RUN));  // and so does a bot run
      resend();
    });
  }).then(null, function (err) {
    dead = true;
    warn(err);
    return new Promise(function () {});
  });

  var sawPageView = false;
  each(queued, function (args) {
    if (args[0] === 'pageView') sawPageView = true;
    Overture(args[0], args[1], args[2]);
  });
  if (!sawPageView) {
    var sent = early.pageView ? early : null;
    pageView(sent ? sent.body.url : location.href, d.title, sent);
  }
})(window, document);
