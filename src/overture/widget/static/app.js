/* Overture widget app, loaded by /widget.js. Plain JS, no dependencies.
 *
 * Everything the visitor sees lives in one shadow root (closed; `data-shadow="open"` on the
 * embed tag opens it, for tests and debugging) attached to one element at the end of <body>.
 * Server and host-page text only ever reaches the page as text nodes, never as HTML.
 * The protocol is docs/widget-protocol.md.
 */
(function (w, d) {
  'use strict';

  var me = d.currentScript || d.querySelector('script[src*="/widget/app.js"][data-channel]');
  if (!me) return;
  var KEY = me.getAttribute('data-channel') || '';
  var API = new URL(me.src).origin + '/widget/v1/' + encodeURIComponent(KEY) + '/';
  var SHADOW = me.getAttribute('data-shadow') === 'open' ? 'open' : 'closed';
  var queued = (w.Overture && w.Overture.q) || [];

  /* ---------- words ---------- */

  var LANG = /^pt\b/i.test(navigator.language || '') ? 'pt-BR' : 'en';
  var T = LANG === 'pt-BR' ? {
    dismiss: 'Fechar', close: 'Fechar', open: 'Abrir chat', send: 'Enviar',
    name: 'Seu nome', email: 'Seu e-mail', badEmail: 'Informe um e-mail válido',
    noName: 'Informe seu nome', write: 'Escreva uma mensagem…', you: 'Você',
    sending: 'Enviando…', notSent: 'Não enviada', failed: 'Não foi possível enviar. Tente de novo.',
    ended: 'Esta conversa foi encerrada', unread: 'Nova mensagem'
  } : {
    dismiss: 'Dismiss', close: 'Close', open: 'Open chat', send: 'Send',
    name: 'Your name', email: 'Your email', badEmail: 'Please enter a valid email',
    noName: 'Please enter your name', write: 'Write a message…', you: 'You',
    sending: 'Sending…', notSent: 'Not sent', failed: 'Could not send. Please try again.',
    ended: 'This conversation has ended', unread: 'New message'
  };

  /* ---------- ids and storage ---------- */

  function rid(prefix) {
    var bytes = crypto.getRandomValues(new Uint8Array(12));
    return prefix + Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
  }

  function remembered(store, key, prefix) {
    var id = null;
    try { id = w[store].getItem(key); } catch (e) { /* storage blocked */ }
    if (!id || !/^[\w-]{16,64}$/.test(id)) {
      id = rid(prefix);
      try { w[store].setItem(key, id); } catch (e) { /* kept in memory only */ }
    }
    return id;
  }

  function keep(store, key, value) {
    try { w[store].setItem(key, value); } catch (e) { /* kept in memory only */ }
  }

  /* ---------- HTTP: JSON calls, retried with the same body (so the same event id) ---------- */

  function wait(ms) { return new Promise(function (ok) { setTimeout(ok, ms); }); }

  function call(method, path, body, retries) {
    if (retries == null) retries = 3;
    function attempt(n) {
      var abort = new AbortController();
      var timeout = setTimeout(function () { abort.abort(); }, 15000);
      return fetch(API + path, {
        method: method, credentials: 'omit', mode: 'cors', signal: abort.signal,
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined
      }).then(function (res) {
        clearTimeout(timeout);
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.ok) return data;
          var err = new Error((data.error && data.error.message) || 'HTTP ' + res.status);
          err.status = res.status;
          err.code = data.error && data.error.code;
          err.details = (data.error && data.error.details) || [];
          err.retry = res.status >= 500 || res.status === 429;
          err.after = Number(res.headers.get('Retry-After')) || 0;
          throw err;
        });
      }).catch(function (err) {
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

  var visitor = remembered('localStorage', 'overture:visitor', 'v_');
  var session = remembered('sessionStorage', 'overture:session', 's_');
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
  var draft = null;         // the message opened in the messenger, not answered yet
  var chat = null;          // the conversation, once started (see below)
  var ui = null;            // set once mounted

  function later(fn) { chain = chain.then(fn).catch(warn); return chain; }

  function warn(err) { if (w.console) console.warn('[overture]', err && err.message || err); }

  function emit(name, message, conversationId) {
    (handlers[name] || []).forEach(function (fn) {
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

  function report(kind, message) {
    return call('POST', 'events', {
      visitor_id: visitor, event_id: rid('e_'), delivery_id: message.delivery_id, kind: kind
    }).catch(warn);
  }

  function adopt(data) {
    if (data && typeof data.visitor_id === 'string' && /^[\w-]{16,64}$/.test(data.visitor_id) &&
        data.visitor_id !== visitor) {
      visitor = data.visitor_id;
      keep('localStorage', 'overture:visitor', visitor);
    }
  }

  /* ---------- page views and decisions ---------- */

  function pageView(url, title) {
    var referrer = lastUrl || d.referrer || '';
    lastUrl = url;
    var mine = ++seq;
    clearTimers();
    return later(function () {
      if (dead) return;
      // Every page view is reported; only the latest one's answer is used.
      if (mine === seq) pageStart = Date.now();  // the server's clock starts about now too
      return call('POST', 'page-views', {
        visitor_id: visitor, session_id: session, event_id: rid('e_'),
        url: url.slice(0, 2000), title: (title || '').slice(0, 500),
        referrer: referrer.slice(0, 2000), language: navigator.language || '',
        attributes: attributes
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
    call('POST', 'check', { visitor_id: visitor, page_view_id: pageViewId }).then(function (decision) {
      if (mine === seq) decide(decision, seconds);
    }, refused);
  }

  function refused(err) {
    if (err.status === 403 || err.code === 'channel_not_found') dead = true;
    warn(err);
  }

  function decide(decision, checked) {
    var mine = seq;
    (decision.pending || []).forEach(function (seconds) {
      if (timers[seconds]) return;
      if (seconds === checked && (tries[seconds] = (tries[seconds] || 0) + 1) > 5) return;
      var due = pageStart + seconds * 1000 + 100 - Date.now();
      timers[seconds] = setTimeout(check, Math.max(due, 300), seconds, mine);
    });
    ready.then(function () { if (mine === seq) present(decision.show); });
  }

  function clearTimers() {
    Object.keys(timers).forEach(function (s) { clearTimeout(timers[s]); });
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
      draft = message;
    }
    if (chat && chat.unread) { chat.unread = false; save(); }
    ui.open(message);
  }

  function closeMessenger() {
    if (!ui.isOpen()) return;
    ui.close();
    var message = draft;
    if (message && !message.starting) {
      draft = null;
      ui.clear();
      report('dismissed', message);
      emit('proactiveMessageDismissed', message);
      var before = stored();
      if (before) resume(before);
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

  function stored() {
    var s = null;
    try { s = JSON.parse(w.localStorage.getItem(STORE)); } catch (e) { /* none */ }
    return s && s.id > 0 ? s : null;
  }

  function save() {
    try {
      if (!chat) return w.localStorage.removeItem(STORE);
      w.localStorage.setItem(STORE, JSON.stringify({ id: chat.id, last: chat.last,
        unread: chat.unread, pending: chat.pending.map(function (p) { return [p.id, p.body]; }) }));
    } catch (e) { /* kept in memory only */ }
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
    (s.pending || []).forEach(function (p) { queue(c, p[0], p[1]); });
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

  /** The first reply (the data form's fields, or {message}) starts the conversation. */
  function begin(message, fields) {
    message.starting = true;
    message.client_id = message.client_id || rid('c_');
    var body = { visitor_id: visitor, delivery_id: message.delivery_id,
      client_id: message.client_id };
    Object.keys(fields).forEach(function (k) { body[k] = fields[k]; });
    return call('POST', 'conversations', body).then(function (data) {
      if (draft === message) draft = null;
      var c = join(data.conversation_id, 0, message);
      arrived(c, data);
      emit('conversationStarted', message, c.id);  // the server counted the reply
    }, function (err) {
      message.starting = false;
      throw err;
    });
  }

  function arrived(c, data) {
    if (chat !== c) return;
    data.messages.forEach(function (m) { receive(c, m, true); });
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
      p = c.pending.filter(function (q) { return q.id === m.client_id; })[0];
      if (p) c.pending.splice(c.pending.indexOf(p), 1);
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
      var data = {};
      try { data = JSON.parse(e.data) || {}; } catch (x) { /* not ours */ }
      if (data.type === 'message') receive(c, data.message, true);
      else if (data.type === 'status') status(c, data.status, true);
      else if (data.type === 'ping') ws.send('{"type":"pong"}');
      else if (data.type === 'error') {
        // Errors name no message: the oldest one sent on the socket goes over HTTP, which
        // answers with the stored copy or with the reason it was refused.
        var p = c.pending.filter(function (q) { return q.state === 'ws'; })[0];
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
    c.pending.forEach(function (p) { if (p.state === 'ws') viaHttp(c, p); });
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
  });

  function queue(c, id, body) {
    var p = { id: id, body: body, state: 'queued', el: ui.pending(body) };
    c.pending.push(p);
    return p;
  }

  function flush(c) {
    if (chat !== c) return;
    c.pending.forEach(function (p) {
      if (p.state !== 'queued') return;
      if (!live(c)) return viaHttp(c, p);
      c.ws.send(JSON.stringify({ type: 'message', client_id: p.id, body: p.body }));
      p.state = 'ws';
    });
  }

  function viaHttp(c, p) {
    p.state = 'http';
    call('POST', 'conversations/' + c.id + '/messages',
      { visitor_id: visitor, client_id: p.id, body: p.body }).then(function (m) {
      receive(c, m, false);
    }, function (err) {
      var at = c.pending.indexOf(p);
      if (chat !== c || at < 0) return;
      if (err.retry !== false) {  // the network or the server: try again (socket or HTTP)
        p.state = 'queued';
        return setTimeout(flush, 5000, c);
      }
      c.pending.splice(at, 1);
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
    var early = message.early = message.early || [];
    early.push({ body: text, el: ui.pending(text) });
    if (early.length > 1) return;
    begin(message, { message: text }).then(function () {
      early.slice(1).forEach(function (e) { say(e.body); });
    }, function (err) {
      warn(err);
      message.early = [];
      early.forEach(function (e) { ui.failed(e.el); });
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
      Object.keys(arg || {}).forEach(function (k) { attributes[k] = arg[k]; });
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
      (handlers[arg] = handlers[arg] || []).push(fn);
    } else {
      warn('unknown command ' + name);
    }
  }

  var Overture = function () { command.apply(null, arguments); };
  Overture.l = 1;
  w.Overture = Overture;

  /* ---------- single-page apps: route changes are page views ---------- */

  var routeTimer;
  function routeChanged() {
    // Let the app render (and set its title) first; report each new URL once.
    clearTimeout(routeTimer);
    routeTimer = setTimeout(function () {
      if (location.href !== lastUrl) pageView(location.href, d.title);
    }, 50);
  }

  ['pushState', 'replaceState'].forEach(function (name) {
    var original = history[name];
    if (typeof original !== 'function') return;
    history[name] = function () {
      var result = original.apply(this, arguments);
      try { routeChanged(); } catch (e) { warn(e); }
      return result;
    };
  });
  w.addEventListener('popstate', routeChanged);

  /* ---------- the DOM ---------- */

  function h(tag, attrs, children) {
    var el = d.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else if (attrs[k] != null && attrs[k] !== false) el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
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
    (runs || []).forEach(function (run) {
      String(run.text == null ? '' : run.text).split('\n').forEach(function (part, i) {
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

  var CSS = [
    ':host{all:initial}',
    '.ov{all:initial;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b}',
    '.ov *{box-sizing:border-box;margin:0}',
    'button,input,textarea{font:inherit;color:inherit}',
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '[hidden]{display:none!important}',
    'button{cursor:pointer;border:0;background:none;padding:0}',
    ':focus-visible{outline:3px solid #0b57d0;outline-offset:2px}',
    'svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}',
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;min-height:52px;min-width:52px;padding:0 15px;border-radius:26px;background:var(--c);color:var(--t);box-shadow:0 4px 14px rgba(0,0,0,.25);font-weight:600}',
    '.launcher .label{max-width:220px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.bubble{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:300px;max-width:calc(100vw - 40px)}',
    '.card{position:relative;background:#fff;border-radius:12px;padding:12px 36px 12px 14px;box-shadow:0 6px 24px rgba(0,0,0,.22);animation:ov-in .3s ease-out}',
    '@keyframes ov-in{from{opacity:0;transform:translateY(12px)}}',
    '@media (prefers-reduced-motion:reduce){.card{animation:none}}',
    '.card .open{position:absolute;inset:0;border-radius:12px;width:100%}',
    '.card .who,.card .text{position:relative;pointer-events:none}',
    '.card a{pointer-events:auto;color:#0b57d0;text-decoration:underline}',
    '.card .x{position:absolute;top:6px;right:6px;width:28px;height:28px;border-radius:14px;display:grid;place-items:center;color:#555}',
    '.card .x svg{width:16px;height:16px}',
    '.card .x:hover{background:#eee}',
    '.who{display:flex;align-items:center;gap:8px;margin-bottom:4px;font-size:12px;font-weight:600;color:#555}',
    '.avatar{width:24px;height:24px;border-radius:12px;object-fit:cover}',
    '.panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.28);overflow:hidden}',
    '.head{padding:14px 16px;background:var(--c);color:var(--t);font-weight:700;font-size:16px}',
    '.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;list-style:none}',
    '.msg{max-width:85%;padding:8px 12px;border-radius:12px;background:#f1f2f4;overflow-wrap:anywhere}',
    '.msg.visitor{align-self:flex-end;background:var(--c);color:var(--t)}',
    '.msg a{color:inherit;text-decoration:underline}',
    '.foot{border-top:1px solid #e3e3e3;padding:12px;display:flex;flex-direction:column;gap:8px}',
    'label{font-size:12px;font-weight:600;color:#444}',
    'input,textarea{width:100%;padding:8px 10px;border:1px solid #999;border-radius:8px;background:#fff;color:#1b1b1b}',
    'input[aria-invalid=true]{border-color:#c5221f}',
    '.err{color:#c5221f;font-size:12px;min-height:1em}',
    '.send{align-self:flex-end;padding:8px 16px;border-radius:8px;background:var(--c);color:var(--t);font-weight:600}',
    '.row{display:flex;gap:8px;align-items:flex-end}',
    '.row textarea{flex:1;resize:none;height:40px}',
    '.launcher .dot{position:absolute;top:0;right:0;width:12px;height:12px;border-radius:6px;background:#d93025;box-shadow:0 0 0 2px #fff}',
    '.note{align-self:center;font-size:12px;color:#555;text-align:center}',
    '.state{display:block;font-size:11px;opacity:.85}',
    '.pending{opacity:.75}'
  ].join('\n');

  function mount(config) {
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
    var log = h('ol', { 'class': 'log', role: 'log', 'aria-live': 'polite' });
    var foot = h('div', { 'class': 'foot', hidden: true });
    var title = h('h2', { 'class': 'head', id: 'ov-title', text: sender.name || config.name || '' });
    var panel = h('div', { 'class': 'panel', id: 'ov-panel', role: 'dialog', tabindex: '-1',
      'aria-labelledby': 'ov-title', hidden: true }, [title, log, foot]);
    var box = h('div', { 'class': 'ov', lang: LANG },
      [panel, bubble, launcher, herald]);
    box.style.setProperty('--c', color);
    box.style.setProperty('--t', ink(color));

    var host = d.createElement('overture-widget');
    host.setAttribute('style', 'all:initial!important;position:static!important;' +
      'display:block!important;width:0!important;height:0!important');
    var root = host.attachShadow({ mode: SHADOW });
    root.appendChild(h('style', { text: CSS }));
    root.appendChild(box);
    d.body.appendChild(host);

    function setLauncher() {
      var open = !panel.hidden;
      var withText = !open && !bubble.firstChild && !!launcherText;
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

    /** The data form; `done(values)` sends it and may fail with the server's reasons. */
    function ask(fields, done) {
      var inputs = {};
      var err = h('p', { 'class': 'err', id: 'ov-err', 'aria-live': 'assertive' });
      var button = h('button', { 'class': 'send', type: 'submit', text: T.send });
      var form = h('form', { novalidate: '' });
      fields.forEach(function (f) {
        var id = 'ov-' + f;
        var input = h('input', { id: id, name: f, type: f === 'email' ? 'email' : 'text',
          autocomplete: f, required: '', 'aria-describedby': 'ov-err' });
        inputs[f] = input;
        form.appendChild(h('label', { 'for': id, text: T[f] }));
        form.appendChild(input);
      });
      form.appendChild(err);
      form.appendChild(button);
      form.style.cssText = 'display:flex;flex-direction:column;gap:6px';
      function invalid(f, message) {
        err.textContent = message;
        inputs[f].setAttribute('aria-invalid', 'true');
        inputs[f].focus();
      }
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (button.disabled) return;
        var values = {};
        var bad = null;
        fields.forEach(function (f) {
          var v = inputs[f].value.trim();
          var ok = f === 'email' ? /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(v) : !!v;
          inputs[f].setAttribute('aria-invalid', String(!ok));
          if (!ok && !bad) bad = f;
          values[f] = v;
        });
        if (bad) return invalid(bad, bad === 'email' ? T.badEmail : T.noName);
        err.textContent = '';
        button.disabled = true;
        done(values).then(null, function (e) {
          button.disabled = false;
          // The server's checks are the last word (it refuses reserved domains, for one).
          var field = (e.details || []).map(function (x) { return (x.loc || [])[0]; })
            .filter(function (f) { return inputs[f]; })[0];
          if (field) invalid(field, field === 'email' ? T.badEmail : T.noName);
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
      var collect = response.type === 'agent' ? response.collect || [] : [];
      if (!collect.length) return showCompose();
      return ask(collect, function (values) { return begin(message, values); });
    }

    launcher.addEventListener('click', function () {
      if (panel.hidden) openMessenger(); else closeMessenger();
    });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && !panel.hidden) { e.stopPropagation(); closeMessenger(); }
    });

    ui = {
      isOpen: function () { return !panel.hidden; },
      showBubble: function (message) {
        var open = h('button', { 'class': 'open', type: 'button', 'aria-labelledby': 'ov-text' });
        var x = h('button', { 'class': 'x', type: 'button', 'aria-label': T.dismiss },
          [icon(CROSS)]);
        var card = h('div', { 'class': 'card' }, [
          open,
          senderLine(message.sender || sender),
          richText(h('p', { 'class': 'text', id: 'ov-text' }), message.text),
          x
        ]);
        open.addEventListener('click', openMessenger);
        x.addEventListener('click', function () { dismiss(); launcher.focus(); });
        bubble.replaceChildren(card);
        setLauncher();
      },
      hideBubble: function () { bubble.replaceChildren(); setLauncher(); },
      open: function (message) {
        var focus = message ? start(message) : chat && showCompose();
        panel.hidden = false;
        dot.hidden = true;
        setLauncher();
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
      add: function (m, el, rich) {
        if (!el) {
          if (m.author === 'system') el = h('li', { 'class': 'note', text: m.body });
          else {
            el = item(m.author === 'customer', {
              name: m.author_name, avatar_url: m.author === 'sender' ? sender.avatar_url : ''
            }, rich && m.author === 'sender' && m.body === rich.plain_text ? rich.text
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
      unread: function (on) { dot.hidden = !on || !panel.hidden; setLauncher(); },
      announce: function (words) {
        herald.textContent = '';
        setTimeout(function () { herald.textContent = words; }, 50);
      }
    };
    setLauncher();
  }

  /* ---------- start ---------- */

  // Resolves once the widget is on the page; never settles if the channel refused us.
  var ready = call('GET', 'config', null, 2).then(function (config) {
    return new Promise(function (ok) {
      if (d.body) ok(); else d.addEventListener('DOMContentLoaded', ok);
    }).then(function () {
      mount(config);
      var before = stored();
      if (before) resume(before);  // the conversation goes on, on this page too
    });
  }).catch(function (err) {
    dead = true;
    warn(err);
    return new Promise(function () {});
  });

  var sawPageView = false;
  queued.forEach(function (args) {
    if (args[0] === 'pageView') sawPageView = true;
    try { command.apply(null, args); } catch (e) { warn(e); }
  });
  if (!sawPageView) pageView(location.href, d.title);
})(window, document);
