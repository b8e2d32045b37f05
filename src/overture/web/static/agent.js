/* Overture — the agent workspace (/agent).
 *
 * Plain JavaScript, no build step. The page renders the empty shell and one JSON blob
 * (#aw-config: who I am, the CSRF token, the UI words in the page's language). This script:
 *
 *  - keeps the queue up to date through the queue feed (WebSocket /agent/ws, "activity"
 *    events → debounced refetch): one view of it (GET /api/v1/tickets?view=mine|unassigned|
 *    open|solved, with the search as `q`; the unsolved views every page, following
 *    X-Next-Cursor, Solved a page at a time) and each view's count (/api/v1/ticket-counts);
 *    each row says who, the last message, how long the customer has waited, and whether they
 *    wrote since an agent last replied;
 *  - opens a ticket from the URL hash (#ticket-ID): its conversation, live through
 *    /agent/conversations/ID/ws?after=<last id> (resumes from the last id it received,
 *    dedupes by message id), and the ticket panel (status, tags, assignee, the proactive
 *    message that started it, the customer's last page views);
 *  - sends replies over the socket, or POST /api/v1/tickets/ID/messages when it is down,
 *    each with a client-made id, so a retry is stored once.
 *
 * Nothing typed is ever lost: the reply box is saved to localStorage on every keystroke, and
 * a sent reply stays in localStorage (the ticket's "outbox") until the server hands it back.
 * Both survive a reload and a dropped connection.
 *
 * Text from anyone (customers above all) only ever reaches the page through textContent; the
 * proactive message's formatting comes as runs of text, built into elements here.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function readJSON(id) {
    var node = $(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var config = readJSON("aw-config");
  if (!config) return;
  var S = config.strings || {};
  var me = config.me || {};
  var lang = document.documentElement.lang || "en";

  /* t("ticket_title", {id: 3}): the page's word for `key`, with {slots} filled in. */
  function t(key, vars) {
    var text = S[key] !== undefined ? String(S[key]) : key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(vars[name]));
    });
    return text;
  }

  var h = window.OvertureUI.h;  /* dom.js */

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  var dateFormat;
  try {
    dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" });
  } catch (e) {
    dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? "" : dateFormat.format(d);
  }

  function timeNode(iso) {
    return h("time", { datetime: iso, text: when(iso) });
  }

  /* A client-made id for a message: [A-Za-z0-9_-], 8–64 characters. getRandomValues works on
   * plain-HTTP deployments too, where crypto.randomUUID does not exist. */
  function newClientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "agent-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function backoff(attempt) {
    var base = Math.min(15000, 500 * Math.pow(2, attempt));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  function socketURL(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // -- the REST API ---------------------------------------------------------------------------

  function ApiError(status, code, message, details) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = Array.isArray(details) ? details : [];
  }

  /* Network failures, 5xx and 429 are worth retrying; other 4xx answers are final. */
  function transient(err) {
    return !(err instanceof ApiError) || err.status === 0 || err.status === 429 ||
      err.status >= 500;
  }

  function describe(error) {
    var message = error.message || "";
    var details = Array.isArray(error.details) ? error.details : [];
    var parts = details.map(function (d) {
      var where = Array.isArray(d.loc) ? d.loc.join(".") : "";
      return (where ? where + ": " : "") + (d.msg || "");
    }).filter(Boolean);
    return parts.length ? parts.join("; ") : message;
  }

  /* How far the server's clock is ahead of this computer's (from each answer's Date): the
   * waiting times are counted on the server's clock, like the times they start from. */
  var serverSkew = 0;

  // `withNext`: resolve to { data, next } — next is the X-Next-Cursor of a paged list.
  function api(method, path, body, withNext) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json" } };
    if (method !== "GET") options.headers["X-CSRF-Token"] = config.csrf;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      var date = Date.parse(response.headers.get("Date") || "");
      if (!isNaN(date)) serverSkew = date + 500 - Date.now(); // Date is in whole seconds
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) {
          return withNext ? { data: data, next: response.headers.get("X-Next-Cursor") } : data;
        }
        if (response.status === 401) sessionEnded();
        var error = (data && data.error) || {};
        throw new ApiError(response.status, error.code || "http_" + response.status,
                           describe(error) || response.statusText || String(response.status),
                           error.details);
      });
    }, function () {
      throw new ApiError(0, "network", t("network_error"));
    });
  }

  /* The pages of a paged list (GET /api/v1/tickets pages by cursor), as one array: every
   * page, or pages until `max` items are in; resolves to { items, more }. */
  function apiPages(path, max) {
    var items = [];
    function page(cursor) {
      var size = max ? Math.min(200, Math.max(1, max - items.length)) : 200;
      var url = path + (path.indexOf("?") < 0 ? "?" : "&") + "limit=" + size +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return api("GET", url, undefined, true).then(function (got) {
        items = items.concat(got.data || []);
        if (got.next && (!max || items.length < max)) return page(got.next);
        return { items: items, more: !!got.next };
      });
    }
    return page(null);
  }

  var ended = false;

  function sessionEnded() {
    if (ended) return;
    ended = true;
    var box = $("aw-session");
    clear(box);
    box.appendChild(document.createTextNode(t("session_ended") + " "));
    box.appendChild(h("a", { href: "/login?next=/agent", text: t("sign_in") }));
    box.hidden = false;
  }

  // -- the queue ------------------------------------------------------------------------------

  /* The views (tabs): the unsolved ones are listed whole, as the queue an agent works through;
   * Solved grows a page at a time ("Show more"). The view and the search are kept per user. */
  var VIEWS = ["mine", "unassigned", "open", "solved"];
  var SOLVED_PAGE = 50;
  var viewKey = "overture.agent." + me.id + ".view";
  var storedView = null;
  try { storedView = window.localStorage.getItem(viewKey); } catch (e) {}

  var queue = { list: $("aw-queue-list"), tickets: [], loading: false, again: false,
                timer: null, ws: null, attempt: 0, retry: null,
                view: VIEWS.indexOf(storedView) >= 0 ? storedView : "open", q: "",
                wanted: SOLVED_PAGE, counts: null, searchTimer: null, focusRow: null };

  // A link may open the queue on a view and a search (the report's tags: ?view=open&q=promo).
  var asked = new URLSearchParams(window.location.search);
  if (VIEWS.indexOf(asked.get("view")) >= 0) queue.view = asked.get("view");
  if (asked.get("q")) { queue.q = asked.get("q").trim(); $("aw-q").value = queue.q; }

  function queueQuery() {
    return "view=" + queue.view + (queue.q ? "&q=" + encodeURIComponent(queue.q) : "");
  }

  function refreshQueueSoon(delay) {
    clearTimeout(queue.timer);
    queue.timer = setTimeout(loadQueue, delay === undefined ? 250 : delay);
  }

  function loadQueue() {
    if (queue.loading) { queue.again = true; return; }
    queue.loading = true;
    var asked = queueQuery() + "|" + queue.wanted;
    var max = queue.view === "solved" ? queue.wanted : 0;
    var counts = api("GET", "/api/v1/ticket-counts" +
                     (queue.q ? "?q=" + encodeURIComponent(queue.q) : ""))
      .then(function (got) { return got; }, function () { return null; }); // the tabs can wait
    Promise.all([apiPages("/api/v1/tickets?" + queueQuery(), max), counts]).then(function (got) {
      if (asked !== queueQuery() + "|" + queue.wanted) return; // the view changed meanwhile
      $("aw-queue-error").hidden = true;
      queue.counts = got[1];
      renderQueue(got[0].items || [], got[0].more);
    }, function (err) {
      var box = $("aw-queue-error");
      box.textContent = t("queue_failed", { error: err.message });
      box.hidden = false;
    }).then(function () {
      queue.loading = false;
      if (queue.again) { queue.again = false; loadQueue(); }
    });
  }

  function statusBadge(status) {
    return h("span", { className: "badge aw-status aw-status-" + status,
                       text: t("status_" + status) });
  }

  function tagChips(tags, className) {
    return h("ul", { className: className || "aw-row-tags" }, (tags || []).map(function (tag) {
      return h("li", { className: "chip", text: tag });
    }));
  }

  /* Who the ticket is for: the requester's name, the visitor's, an email, or a label made
   * from the visitor (the same one on each of their tickets). */
  function requesterLabel(ticket) {
    return ticket.requester_name || ticket.visitor_name || ticket.requester_email ||
      ticket.visitor_email || t("visitor_ref", { ref: ticket.visitor_ref || "" });
  }

  /* "5 min", "2 h 10 min", "3 d 4 h": how long since `iso`, never negative. */
  function duration(iso) {
    var since = new Date(iso).getTime();
    if (isNaN(since)) return "";
    var minutes = Math.max(0, Math.floor((Date.now() + serverSkew - since) / 60000));
    if (minutes < 1) return t("under_a_minute");
    if (minutes < 60) return t("minutes", { n: minutes });
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return t("hours", { h: hours, m: minutes % 60 });
    return t("days", { d: Math.floor(hours / 24), h: hours % 24 });
  }

  function waitingNode(iso) {
    return h("time", { className: "aw-row-waiting", datetime: iso, "data-since": iso,
                       title: when(iso), text: t("waiting_for", { time: duration(iso) }) });
  }

  // The waiting times move on while the page is open.
  setInterval(function () {
    queue.list.querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = t("waiting_for", { time: duration(node.getAttribute("data-since")) });
    });
  }, 15000);

  function queueRow(ticket) {
    var name = requesterLabel(ticket);
    var email = ticket.requester_email || ticket.visitor_email;
    var link = h("a", {
      href: "#ticket-" + ticket.id, className: "aw-row" + (ticket.unread ? " aw-row-unread" : ""),
      "data-ticket": ticket.id, "aria-current": ticket.id === current.id ? "true" : null,
    }, [
      h("span", { className: "aw-row-top" }, [
        h("strong", { className: "aw-row-name", text: name }),
        ticket.unread ? h("span", { className: "badge aw-unread", text: t("unread") }) : null,
        statusBadge(ticket.status),
        ticket.unassigned ? h("span", { className: "badge aw-unassigned", text: t("unassigned") })
                          : null,
      ]),
      email && email !== name ? h("span", { className: "aw-row-email", text: email }) : null,
      ticket.preview ? h("span", { className: "aw-row-preview" }, [
        ticket.preview_author && ticket.preview_author !== "customer"
          ? h("span", { className: "aw-row-preview-author",
                        text: authorLabel(ticket.preview_author) + ": " }) : null,
        h("span", { className: "aw-row-preview-text", text: ticket.preview }),
      ]) : null,
      ticket.proactive_message_name
        ? h("span", { className: "aw-row-message", text: ticket.proactive_message_name }) : null,
      h("span", { className: "aw-row-bottom" }, [
        (ticket.tags || []).length ? tagChips(ticket.tags) : null,
        h("span", { className: "aw-row-time" }, [
          ticket.waiting_since ? waitingNode(ticket.waiting_since) : timeNode(ticket.last_activity),
        ]),
      ]),
    ]);
    return h("li", { className: "aw-queue-item" }, [link]);
  }

  function countText(n) {
    var kind = queue.q ? "found" : queue.view;
    return t("count_" + kind + (n === 1 ? "_one" : "_other"), { n: n });
  }

  function renderTabs() {
    VIEWS.forEach(function (view) {
      var tab = $("aw-view-" + view);
      var selected = view === queue.view;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      var count = tab.querySelector(".aw-view-count");
      count.textContent = queue.counts && typeof queue.counts[view] === "number"
        ? String(queue.counts[view]) : "";
    });
    $("aw-queue-panel").setAttribute("aria-labelledby", "aw-view-" + queue.view);
  }

  function renderQueue(tickets, more) {
    queue.tickets = tickets;
    var active = document.activeElement;
    var focused = active && active.getAttribute && active.closest("#aw-queue-list")
      ? active.getAttribute("data-ticket") : null;
    var fresh = document.createDocumentFragment();
    tickets.forEach(function (ticket) { fresh.appendChild(queueRow(ticket)); });
    clear(queue.list);
    queue.list.appendChild(fresh);
    if (focused) {
      var again = queue.list.querySelector('[data-ticket="' + focused + '"]');
      if (again) again.focus();
    }
    if (queue.focusRow !== null) {
      var next = queue.list.querySelectorAll("[data-ticket]")[queue.focusRow];
      queue.focusRow = null;
      if (next) next.focus();
    }
    renderTabs();
    // The unsolved views are listed whole; Solved says how many there are in all.
    var total = more && queue.counts && typeof queue.counts[queue.view] === "number"
      ? queue.counts[queue.view] : tickets.length;
    $("aw-queue-count").textContent = countText(total);
    var empty = $("aw-queue-empty");
    empty.textContent = queue.q ? t("empty_found", { q: queue.q }) : t("empty_" + queue.view);
    empty.hidden = tickets.length > 0;
    $("aw-queue-more").hidden = !more;
  }

  function chooseView(view, focus) {
    if (VIEWS.indexOf(view) < 0) return;
    if (view !== queue.view) {
      queue.view = view;
      queue.wanted = SOLVED_PAGE;
      try { window.localStorage.setItem(viewKey, view); } catch (e) {}
      clear(queue.list);
      $("aw-queue-empty").hidden = true;
      $("aw-queue-more").hidden = true;
      renderTabs();
      loadQueue();
    }
    if (focus) $("aw-view-" + view).focus();
  }

  // The tabs: a click or Enter chooses; arrow keys, Home and End move and choose.
  $("aw-tabs").addEventListener("click", function (ev) {
    var tab = ev.target.closest("[data-view]");
    if (tab) chooseView(tab.getAttribute("data-view"), false);
  });
  $("aw-tabs").addEventListener("keydown", function (ev) {
    var at = VIEWS.indexOf(queue.view);
    var to = null;
    if (ev.key === "ArrowRight") to = (at + 1) % VIEWS.length;
    else if (ev.key === "ArrowLeft") to = (at + VIEWS.length - 1) % VIEWS.length;
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = VIEWS.length - 1;
    if (to === null) return;
    ev.preventDefault();
    chooseView(VIEWS[to], true);
  });

  // Show more: the next page, and the focus on its first row (the button may go away).
  $("aw-queue-more").addEventListener("click", function () {
    queue.wanted += SOLVED_PAGE;
    queue.focusRow = queue.tickets.length;
    loadQueue();
  });

  // The search: as the agent types (a pause), at Enter at once; Escape clears it.
  function search(now) {
    clearTimeout(queue.searchTimer);
    queue.searchTimer = setTimeout(function () {
      var q = $("aw-q").value.trim();
      if (q === queue.q) return;
      queue.q = q;
      queue.wanted = SOLVED_PAGE;
      loadQueue();
    }, now ? 0 : 300);
  }
  $("aw-q").addEventListener("input", function () { search(false); });
  $("aw-search").addEventListener("submit", function (ev) { ev.preventDefault(); search(true); });
  $("aw-q").addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && this.value) { this.value = ""; search(true); }
  });

  function markCurrentRow() {
    queue.list.querySelectorAll("[data-ticket]").forEach(function (link) {
      if (Number(link.getAttribute("data-ticket")) === current.id) {
        link.setAttribute("aria-current", "true");
      } else link.removeAttribute("aria-current");
    });
  }

  // Arrow keys move between the queue's rows; Enter (a link's own key) opens one.
  queue.list.addEventListener("keydown", function (ev) {
    var links = Array.prototype.slice.call(queue.list.querySelectorAll("[data-ticket]"));
    var at = links.indexOf(document.activeElement);
    if (at < 0) return;
    var to = null;
    if (ev.key === "ArrowDown") to = Math.min(links.length - 1, at + 1);
    else if (ev.key === "ArrowUp") to = Math.max(0, at - 1);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = links.length - 1;
    if (to === null) return;
    ev.preventDefault();
    links[to].focus();
  });

  // Opening the ticket that is already open: no hashchange, so move to it by hand.
  queue.list.addEventListener("click", function (ev) {
    var link = ev.target.closest("[data-ticket]");
    if (link && Number(link.getAttribute("data-ticket")) === current.id) $("aw-chat-h").focus();
  });

  function setFeedState(key) {
    $("aw-feed-state").textContent = key ? t(key) : "";
  }

  function connectFeed() {
    if (ended) return;
    var ws;
    try { ws = new WebSocket(socketURL("/agent/ws")); } catch (e) { return feedLost(); }
    queue.ws = ws;
    ws.onopen = function () {
      queue.attempt = 0;
      setFeedState("feed_live");
      loadQueue(); // whatever happened while we were not listening
    };
    ws.onmessage = function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (!data || data.type !== "activity") return;
      refreshQueueSoon();
      if (current.ticket && data.conversation_id === current.ticket.conversation_id) {
        refreshTicketSoon();
      }
    };
    ws.onclose = function (ev) {
      if (queue.ws !== ws) return;
      queue.ws = null;
      if (ev.code === 4401) { setFeedState(null); sessionEnded(); return; }
      feedLost();
    };
  }

  function feedLost() {
    setFeedState("feed_offline");
    clearTimeout(queue.retry);
    queue.retry = setTimeout(connectFeed, backoff(queue.attempt++));
  }

  // -- the open ticket ------------------------------------------------------------------------

  var current = {
    id: null,          // ticket id
    ticket: null,      // its last TicketDetail
    generation: 0,     // bumped at every open/close: late answers for an older ticket are dropped
    ws: null, attempt: 0, retry: null, live: false, everLive: false, lastFrame: 0,
    lastId: 0,         // the highest message id received: where a reconnect resumes
    seen: new Set(),   // message ids shown
    inFlight: [],      // outbox items sent over the socket, awaiting their echo
    resend: [],        // outbox items to send again once the server can be reached
    resendTimer: null,
    refreshTimer: null,
    tagsDirty: false,
  };
  var messages = $("aw-messages");
  var scroller = $("aw-scroll");
  var draft = $("aw-draft");

  function ticketFromHash() {
    var m = /^#ticket-(\d+)$/.exec(location.hash);
    return m ? Number(m[1]) : null;
  }

  function showTicketUI(visible) {
    $("aw-chat-empty").hidden = visible;
    $("aw-chat-body").hidden = !visible;
    $("aw-ticket-empty").hidden = visible;
    $("aw-ticket-body").hidden = !visible;
  }

  function closeTicket() {
    current.generation++;
    stopChat();
    current.id = null;
    current.ticket = null;
    showTicketUI(false);
    $("aw-chat-h").textContent = $("aw-chat-h").getAttribute("data-default");
    setChatState(null);
    markCurrentRow();
  }

  function openTicket(id, focus) {
    current.generation++;
    var generation = current.generation;
    stopChat();
    current.id = id;
    current.ticket = null;
    current.lastId = 0;
    current.seen = new Set();
    current.inFlight = [];
    current.resend = [];
    current.attempt = 0;
    current.everLive = false;
    current.tagsDirty = false;
    tagsError(null);
    clear(messages);
    $("aw-send-state").textContent = "";
    $("aw-ticket-state").textContent = "";
    showTicketUI(false);
    $("aw-chat-empty").textContent = t("loading");
    markCurrentRow();
    draft.value = loadDraft(id).text;
    api("GET", "/api/v1/tickets/" + id).then(function (detail) {
      if (generation !== current.generation) return;
      showTicketUI(true);
      renderTicket(detail);
      addMessages(detail.messages, false);
      scroller.scrollTop = scroller.scrollHeight;
      restoreOutbox();
      connectChat(generation);
      if (focus) $("aw-chat-h").focus();
    }, function (err) {
      if (generation !== current.generation) return;
      $("aw-chat-empty").textContent = err.status === 404 || err.status === 422
        ? t("ticket_missing", { id: id }) : err.message;
    });
  }

  function refreshTicketSoon() {
    clearTimeout(current.refreshTimer);
    current.refreshTimer = setTimeout(refreshTicket, 250);
  }

  function refreshTicket() {
    if (current.id === null) return;
    var generation = current.generation;
    api("GET", "/api/v1/tickets/" + current.id).then(function (detail) {
      if (generation !== current.generation) return;
      renderTicket(detail);
      addMessages(detail.messages, true);
    }, function () { /* the next event or reconnect tries again */ });
  }

  function renderTicket(detail) {
    current.ticket = detail;
    var name = requesterLabel(detail);
    $("aw-chat-h").textContent = t("ticket_title", { id: detail.id, name: name });

    $("aw-req-name").textContent = name;
    var email = detail.requester_email || detail.visitor_email;
    $("aw-req-email").textContent = email || t("no_email");
    $("aw-req-email").classList.toggle("muted", !email);

    $("aw-status").value = detail.status;

    var tags = detail.tags || [];
    if (!current.tagsDirty) $("aw-tags").value = tags.join(", ");
    var chips = $("aw-tag-chips");
    clear(chips);
    if (tags.length) {
      tags.forEach(function (tag) { chips.appendChild(h("li", { className: "chip", text: tag })); });
    } else chips.appendChild(h("li", { className: "muted", text: t("no_tags") }));

    var assignee = $("aw-assignee");
    if (detail.assignee_id === null || detail.assignee_id === undefined) {
      assignee.textContent = t("unassigned");
    } else if (detail.assignee_id === me.id) {
      assignee.textContent = t("you", { name: detail.assignee_name || me.name });
    } else assignee.textContent = detail.assignee_name || "#" + detail.assignee_id;
    $("aw-take").hidden = detail.assignee_id === me.id;
    var picker = $("aw-assign");
    if (picker) {
      ensureAssigneeOption(detail.assignee_id, detail.assignee_name);
      picker.value = detail.assignee_id === null ? "" : String(detail.assignee_id);
    }

    $("aw-pm-name").textContent = detail.proactive_message_name || t("no_message");
    var text = $("aw-pm-text");
    clear(text);
    richText(text, detail.proactive_message_runs || []);
    text.hidden = !detail.proactive_message_runs;
    $("aw-pm-seen").hidden = !detail.proactive_message_runs;
    if (detail.proactive_message_name && !detail.proactive_message_text) {
      $("aw-pm-name").appendChild(h("span", { className: "hint aw-pm-gone",
                                               text: " " + t("message_deleted") }));
    }

    var views = $("aw-views");
    clear(views);
    (detail.page_views || []).forEach(function (view) {
      var url = /^https?:\/\//i.test(view.url)
        ? h("a", { href: view.url, text: view.url, target: "_blank", rel: "noopener noreferrer" })
        : h("span", { text: view.url });
      views.appendChild(h("li", {}, [
        h("span", { className: "aw-view-title", text: view.title || view.url }),
        h("span", { className: "aw-view-url" }, [url]),
        h("span", { className: "aw-view-time hint" }, [timeNode(view.at)]),
      ]));
    });
    if (!views.firstChild) views.appendChild(h("li", { className: "muted", text: t("no_page_views") }));
    updateComposerHint();
  }

  /* The proactive message as the customer saw it, from its runs (text, bold, italic, links):
   * elements and text nodes only, never HTML. */
  function richText(node, runs) {
    runs.forEach(function (run) {
      String(run.text === null || run.text === undefined ? "" : run.text).split("\n")
        .forEach(function (part, i) {
          if (i) node.appendChild(h("br"));
          if (!part) return;
          var piece = document.createTextNode(part);
          if (run.italic) piece = h("em", {}, [piece]);
          if (run.bold) piece = h("strong", {}, [piece]);
          if (run.href && /^(https?:|mailto:)/i.test(run.href)) {
            piece = h("a", { href: run.href, target: "_blank", rel: "noopener noreferrer" },
                      [piece]);
          }
          node.appendChild(piece);
        });
    });
    return node;
  }

  // -- messages -------------------------------------------------------------------------------

  function authorLabel(author) {
    return S["author_" + author] !== undefined ? t("author_" + author) : t("author_system");
  }

  function messageNode(message) {
    var author = ["customer", "agent", "sender", "bot", "system"].indexOf(message.author) >= 0
      ? message.author : "system";
    return h("li", { className: "aw-msg aw-msg-" + author, "data-id": message.id }, [
      h("div", { className: "aw-msg-head" }, [
        h("span", { className: "aw-msg-author", text: authorLabel(author) }),
        message.author_name ? h("span", { className: "aw-msg-name", text: message.author_name })
                            : null,
        timeNode(message.created_at),
      ]),
      h("p", { className: "aw-msg-body", text: message.body }),
    ]);
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function announce(text) {
    var region = $("aw-announce");
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  /* Add messages in id order, each once; `live` ones are announced to screen readers. */
  function addMessages(list, live) {
    var stick = nearBottom();
    var mine = false;
    (list || []).forEach(function (message) {
      if (!message || typeof message.id !== "number" || current.seen.has(message.id)) return;
      if (current.ticket && message.conversation_id !== undefined &&
          message.conversation_id !== current.ticket.conversation_id) return;
      current.seen.add(message.id);
      current.lastId = Math.max(current.lastId, message.id);
      var before = null;
      var items = messages.children;
      for (var i = 0; i < items.length; i++) {
        var id = items[i].getAttribute("data-id");
        if (id === null || Number(id) > message.id) { before = items[i]; break; }
      }
      messages.insertBefore(messageNode(message), before);
      if (message.client_id && confirmSent(message.client_id)) mine = true;
      else if (live) {
        announce(t("new_message", { name: message.author_name || authorLabel(message.author),
                                    body: message.body }));
      }
    });
    if (stick || mine) scroller.scrollTop = scroller.scrollHeight;
  }

  // -- drafts and the outbox (localStorage, per user and ticket) ------------------------------

  function storageKey(ticketId) { return "overture.agent." + me.id + ".ticket." + ticketId; }

  function loadDraft(ticketId) {
    var stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(storageKey(ticketId))); } catch (e) {}
    stored = stored && typeof stored === "object" ? stored : {};
    return { text: typeof stored.text === "string" ? stored.text : "",
             outbox: Array.isArray(stored.outbox) ? stored.outbox.filter(function (item) {
               return item && typeof item.client_id === "string" && typeof item.body === "string";
             }) : [] };
  }

  function saveDraft(ticketId, state) {
    try {
      if (!state.text && !state.outbox.length) window.localStorage.removeItem(storageKey(ticketId));
      else window.localStorage.setItem(storageKey(ticketId), JSON.stringify(state));
    } catch (e) { /* storage full or disabled: the text stays in the box */ }
  }

  draft.addEventListener("input", function () {
    if (current.id === null) return;
    var state = loadDraft(current.id);
    state.text = draft.value;
    saveDraft(current.id, state);
  });

  draft.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey &&
        !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  });

  $("aw-composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    send();
  });

  /* A solved ticket takes no reply: the box is disabled (what it holds is kept) and Reopen
   * is offered beside it. */
  function updateComposerHint() {
    var solved = !!(current.ticket && current.ticket.status === "solved");
    var wasSolved = draft.disabled;
    // Asked before Reopen is hidden: hiding it takes the focus away from it.
    var fromReopen = document.activeElement === $("aw-reopen");
    $("aw-solved").hidden = !solved;
    draft.disabled = solved;
    $("aw-send").disabled = solved;
    draft.setAttribute("aria-describedby", solved ? "aw-solved-text aw-draft-hint" : "aw-draft-hint");
    var state = $("aw-send-state");
    if (state.textContent === t("solved_no_reply")) state.textContent = "";
    // Reopened here or elsewhere: the reply box takes the focus back from the Reopen button.
    // Reopen pressed here hands it the focus however the news arrives (the answer, the
    // socket, or a reload of the ticket that already shows it open).
    if (!solved && (reopenAsked || (wasSolved && fromReopen))) draft.focus();
    if (!solved) reopenAsked = false;
  }

  var reopenAsked = false;
  $("aw-reopen").addEventListener("click", function () {
    reopenAsked = true;
    patchTicket({ status: "open" });
  });

  function send() {
    if (current.id === null || !current.ticket) return;
    var body = draft.value.trim();
    if (!body) return;
    if (current.ticket.status === "solved") {
      $("aw-send-state").textContent = t("solved_no_reply");
      return;
    }
    var item = { client_id: newClientId(), body: body };
    var state = loadDraft(current.id);
    state.outbox.push(item);
    state.text = "";
    saveDraft(current.id, state);
    draft.value = "";
    showPending(item);
    deliver(item, current.generation);
  }

  function pendingNode(clientId) {
    return messages.querySelector('[data-client-id="' + clientId + '"]');
  }

  function showPending(item) {
    var node = pendingNode(item.client_id);
    if (!node) {
      node = h("li", { className: "aw-msg aw-msg-agent aw-msg-pending", "data-client-id": item.client_id }, [
        h("div", { className: "aw-msg-head" }, [
          h("span", { className: "aw-msg-author", text: t("author_agent") }),
          h("span", { className: "aw-msg-name", text: me.name }),
          h("span", { className: "aw-msg-sending", text: t("sending") }),
        ]),
        h("p", { className: "aw-msg-body", text: item.body }),
      ]);
      messages.appendChild(node);
    }
    scroller.scrollTop = scroller.scrollHeight;
    return node;
  }

  function markPending(item, key) {
    var node = pendingNode(item.client_id);
    var label = node && node.querySelector(".aw-msg-sending");
    if (label) label.textContent = t(key);
  }

  /* After a reload or a switch back to this ticket: replies the server already has are done;
   * the others are shown as pending and sent again with their own client id. */
  function restoreOutbox() {
    var state = loadDraft(current.id);
    var stored = new Set();
    (current.ticket.messages || []).forEach(function (m) { if (m.client_id) stored.add(m.client_id); });
    var left = state.outbox.filter(function (item) { return !stored.has(item.client_id); });
    if (left.length !== state.outbox.length) {
      state.outbox = left;
      saveDraft(current.id, state);
    }
    left.forEach(function (item) {
      showPending(item);
      deliver(item, current.generation); // the socket is not up yet: over HTTP, idempotently
    });
  }

  /* The server handed back the reply with this client id: it is stored, drop it from the outbox. */
  function confirmSent(clientId) {
    current.inFlight = current.inFlight.filter(function (entry) {
      if (entry.item.client_id !== clientId) return true;
      clearTimeout(entry.timer);
      return false;
    });
    var node = pendingNode(clientId);
    if (node) node.parentNode.removeChild(node);
    if (current.id === null) return false;
    var state = loadDraft(current.id);
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== clientId; });
    if (state.outbox.length !== before) { saveDraft(current.id, state); return true; }
    return !!node;
  }

  function deliver(item, generation) {
    if (generation !== current.generation) return;
    var ws = current.ws;
    if (ws && current.live && ws.readyState === WebSocket.OPEN) {
      try {
        ws.send(JSON.stringify({ type: "message", client_id: item.client_id, body: item.body }));
        // No echo in time (a half-dead socket, or a retry the server had already stored):
        // ask over HTTP, which answers with the stored message either way.
        var entry = { item: item, timer: setTimeout(function () { viaHttp(item, generation); }, 5000) };
        current.inFlight.push(entry);
        return;
      } catch (e) { /* fall through to HTTP */ }
    }
    viaHttp(item, generation);
  }

  function viaHttp(item, generation) {
    if (generation !== current.generation) return;
    current.inFlight = current.inFlight.filter(function (entry) {
      if (entry.item.client_id !== item.client_id) return true;
      clearTimeout(entry.timer);
      return false;
    });
    var ticketId = current.id;
    api("POST", "/api/v1/tickets/" + ticketId + "/messages",
        { client_id: item.client_id, body: item.body }).then(function (message) {
      if (generation !== current.generation) {
        dropFromOutbox(ticketId, item.client_id);
        return;
      }
      addMessages([message], false);
      confirmSent(item.client_id);
    }, function (err) {
      if (generation !== current.generation) return;
      if (transient(err)) {
        // Kept in the outbox; sent again when the socket is back (or on the next reload).
        markPending(item, "waiting");
        current.resend = (current.resend || []).concat([item]);
        clearTimeout(current.resendTimer);
        current.resendTimer = setTimeout(function () { resendPending(generation); }, 5000);
        return;
      }
      refuse(item, err.message);
    });
  }

  function dropFromOutbox(ticketId, clientId) {
    var state = loadDraft(ticketId);
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== clientId; });
    saveDraft(ticketId, state);
  }

  /* The server refused the reply for good (the ticket is solved, the text is invalid): put the
   * text back into the reply box, in front of whatever is being typed, and say why. */
  function refuse(item, why) {
    var node = pendingNode(item.client_id);
    if (node) node.parentNode.removeChild(node);
    var state = loadDraft(current.id);
    state.outbox = state.outbox.filter(function (x) { return x.client_id !== item.client_id; });
    draft.value = draft.value ? item.body + "\n" + draft.value : item.body;
    state.text = draft.value;
    saveDraft(current.id, state);
    $("aw-send-state").textContent = t("not_sent", { error: why });
  }

  function resendPending(generation) {
    clearTimeout(current.resendTimer);
    if (generation !== current.generation) return;
    var items = current.resend || [];
    current.resend = [];
    items.forEach(function (item) { deliver(item, generation); });
  }

  // -- the conversation socket ----------------------------------------------------------------

  function setChatState(key) {
    var node = $("aw-chat-state");
    node.textContent = key ? t(key) : "";
    node.className = "hint aw-conn" + (key ? " aw-conn-" + key.replace("chat_", "") : "");
  }

  function stopChat() {
    clearTimeout(current.retry);
    clearTimeout(current.refreshTimer);
    current.inFlight.forEach(function (entry) { clearTimeout(entry.timer); });
    current.inFlight = [];
    current.live = false;
    var ws = current.ws;
    current.ws = null;
    if (ws) { try { ws.close(1000); } catch (e) {} }
  }

  function connectChat(generation) {
    if (generation !== current.generation || ended) return;
    setChatState(current.everLive ? "chat_offline" : "chat_connecting");
    var ws;
    try {
      ws = new WebSocket(socketURL("/agent/conversations/" + current.id + "/ws?after=" +
                                   current.lastId));
    } catch (e) { chatLost(generation); return; }
    current.ws = ws;
    ws.onopen = function () {
      if (current.ws !== ws) return;
      var again = current.everLive;
      current.live = true;
      current.everLive = true;
      current.attempt = 0;
      current.lastFrame = Date.now();
      setChatState("chat_live");
      if (again) refreshTicket(); // status, tags or assignee may have changed meanwhile
      resendPending(generation);
    };
    ws.onmessage = function (ev) {
      if (current.ws !== ws) return;
      current.lastFrame = Date.now();
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (!data) return;
      if (data.type === "message") addMessages([data.message], true);
      else if (data.type === "status") {
        if (current.ticket && data.ticket_status) {
          current.ticket.status = data.ticket_status;
          $("aw-status").value = data.ticket_status;
          updateComposerHint();
        }
        refreshQueueSoon();
      } else if (data.type === "ping") {
        try { ws.send(JSON.stringify({ type: "pong" })); } catch (e) {}
      } else if (data.type === "error") {
        // Errors name no message: ask HTTP about the oldest reply awaiting its echo. It
        // answers with the stored reply, or with the reason it was refused.
        var entry = current.inFlight[0];
        if (entry) viaHttp(entry.item, generation);
      }
    };
    ws.onclose = function (ev) {
      if (current.ws !== ws) return;
      current.ws = null;
      current.live = false;
      // Replies awaiting their echo on this socket go over HTTP instead.
      var waiting = current.inFlight.map(function (entry) { return entry.item; });
      waiting.forEach(function (item) { viaHttp(item, generation); });
      if (generation !== current.generation) return;
      if (ev.code === 4404) { setChatState("chat_gone"); return; }
      chatLost(generation);
    };
  }

  function chatLost(generation) {
    setChatState("chat_offline");
    clearTimeout(current.retry);
    current.retry = setTimeout(function () { connectChat(generation); },
                               backoff(current.attempt++));
  }

  // A socket that has said nothing for well over two heartbeats is dead: reconnect.
  setInterval(function () {
    if (current.ws && current.live && Date.now() - current.lastFrame > 50000) {
      try { current.ws.close(4000); } catch (e) {}
    }
  }, 10000);

  // -- ticket changes -------------------------------------------------------------------------

  function setTicketState(text, failed) {
    var node = $("aw-ticket-state");
    node.textContent = text;
    node.classList.toggle("aw-failed", !!failed);
  }

  function patchTicket(changes) {
    if (current.id === null) return Promise.resolve();
    var generation = current.generation;
    var id = current.id;
    setTicketState(t("saving"));
    return api("PATCH", "/api/v1/tickets/" + id, changes).then(function (detail) {
      loadQueue(); // a solved ticket leaves the queue at once
      if (generation !== current.generation) return;
      if ("tags" in changes) { current.tagsDirty = false; tagsError(null); }
      renderTicket(detail);
      addMessages(detail.messages, true);
      setTicketState(t("saved"));
    }, function (err) {
      if (generation !== current.generation) return;
      if ("tags" in changes) {
        // Said beside the field, in the server's words (what is wrong with which tag).
        var said = (err.details || []).map(function (d) { return d.msg || ""; })
          .filter(Boolean).join("; ") || err.message;
        tagsError(said);
        setTicketState(t("save_failed", { error: said }), true);
        $("aw-tags").focus();
        return;
      }
      setTicketState(t("save_failed", { error: err.message }), true);
      if (current.ticket) renderTicket(current.ticket); // undo the choice
    });
  }

  $("aw-status").addEventListener("change", function () {
    patchTicket({ status: this.value });
  });

  /* Tags are separated by commas. A tag typed with a space is refused as it is, not split
   * into two: the agent decides between "vip-customer" and "vip, customer". */
  function parseTags(text) {
    var out = [];
    var spaced = null;
    text.split(",").forEach(function (raw) {
      var tag = raw.trim().toLowerCase();
      if (!tag) return;
      if (/\s/.test(tag)) { spaced = spaced || raw.trim(); return; }
      if (out.indexOf(tag) < 0) out.push(tag);
    });
    return { tags: out, spaced: spaced };
  }

  function tagsError(message) {
    var input = $("aw-tags");
    var box = $("aw-tags-error");
    box.textContent = message || "";
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  $("aw-tags").addEventListener("input", function () { current.tagsDirty = true; });
  $("aw-tags").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); saveTags(); }
  });
  $("aw-tags-save").addEventListener("click", saveTags);

  function saveTags() {
    var parsed = parseTags($("aw-tags").value);
    if (parsed.spaced !== null) {
      tagsError(t("tag_space", { tag: parsed.spaced }));
      setTicketState("");
      $("aw-tags").focus();
      return;
    }
    tagsError(null);
    patchTicket({ tags: parsed.tags });
  }

  $("aw-take").addEventListener("click", function () {
    patchTicket({ assignee_id: me.id });
  });

  // Admins may hand a ticket to anyone; agents take tickets for themselves.
  var picker = $("aw-assign");

  function ensureAssigneeOption(id, name) {
    if (!picker || id === null || id === undefined) return;
    if (picker.querySelector('option[value="' + id + '"]')) return;
    picker.appendChild(h("option", { value: String(id), text: name || "#" + id }));
  }

  if (picker && me.is_admin) {
    api("GET", "/api/v1/users").then(function (users) {
      (users || []).forEach(function (user) {
        if (!user.is_active) return;
        var existing = picker.querySelector('option[value="' + user.id + '"]');
        var label = user.name + " (" + user.email + ")";
        if (existing) existing.textContent = label;
        else picker.appendChild(h("option", { value: String(user.id), text: label }));
      });
      if (current.ticket) {
        picker.value = current.ticket.assignee_id === null ? "" : String(current.ticket.assignee_id);
      }
    }, function () { /* the Take it button still works */ });
    picker.addEventListener("change", function () {
      patchTicket({ assignee_id: picker.value === "" ? null : Number(picker.value) });
    });
  }

  // -- start ----------------------------------------------------------------------------------

  $("aw-chat-h").setAttribute("data-default", $("aw-chat-h").textContent);

  window.addEventListener("hashchange", function () {
    var id = ticketFromHash();
    if (id === null) closeTicket();
    else if (id !== current.id) openTicket(id, true);
  });

  loadQueue();
  connectFeed();
  var first = ticketFromHash();
  if (first !== null) openTicket(first, false);
  else closeTicket();
})();
