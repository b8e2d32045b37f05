/* Overture — the proactive message editor.
 *
 * Plain JavaScript, no build step. The page renders the inputs and three JSON blobs
 * (#pe-context: the message and what it can refer to; #pe-strings: the UI words in the page's
 * language). This script fills the inputs, runs the condition builder, the live preview and
 * the test-a-visit panel, and on submit writes the whole message as JSON into the hidden
 * `payload` field. The server validates everything; nothing here is trusted.
 *
 * A refused save comes back with the errors in #pe-context (each with the path of its field):
 * each field named is marked (aria-invalid, the message beside it, focus on the first). The
 * tags are checked here by the server's rule before they are sent. Test a visit sends what is
 * on the screen, saved or not. Leaving with unsaved changes asks first.
 *
 * Text typed by anyone is only ever put into the page with textContent / createElement.
 */
(function () {
  "use strict";

  // -- options menus (<details class="menu">), on the list and the editor ------------------

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (ev) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(ev.target)) menu.open = false;
    });
  });

  // -- small helpers --------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function readJSON(id) {
    var node = $(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var h = window.OvertureUI.h;  /* dom.js */

  var fmt = window.OvertureUI.fmt, str = window.OvertureUI.str;  /* dom.js */

  function idOrNull(value) {
    if (value === "" || value === null || value === undefined) return null;
    var n = Number(value);
    return Number.isInteger(n) ? n : value;
  }

  /* A number typed into an input; anything else is sent as typed, for the server to name. */
  function numberOrRaw(text) {
    var s = String(text).trim();
    if (s === "") return null;
    var n = Number(s);
    return Number.isFinite(n) ? n : s;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function option(value, label) { return h("option", {value: value, text: label}); }

  /* Adds `id` to the elements that describe `el` (its hint stays). */
  function addDescription(el, id) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) ids.unshift(id);
    el.setAttribute("aria-describedby", ids.join(" "));
  }

  function setOptions(select, pairs, selected) {
    select.replaceChildren.apply(select, pairs.map(function (p) { return option(p[0], p[1]); }));
    select.value = selected;
  }

  // -- the editor -----------------------------------------------------------------------------

  function init() {
    var form = $("proactive-editor");
    if (!form) return;
    var ctx = readJSON("pe-context") || {};
    var T = readJSON("pe-strings") || {};
    var FIELDS = ctx.fields || {};
    var LIMITS = ctx.limits || {};
    var data = ctx.data && typeof ctx.data === "object" ? ctx.data : {};
    var brands = ctx.brands || [], channels = ctx.channels || [], schedules = ctx.schedules || [];
    var MAX_TEXT = 1000;

    // Name --------------------------------------------------------------------------------
    var nameInput = $("pe-name");
    nameInput.value = str(data.name);

    // Brand and channel ---------------------------------------------------------------------
    var brandSelect = $("pe-brand"), channelSelect = $("pe-channel"), channelHint = $("pe-channel-hint");

    function channelById(id) {
      for (var i = 0; i < channels.length; i++) if (String(channels[i].id) === String(id)) return channels[i];
      return null;
    }

    var initialBrand = data.brand_id;
    if ((initialBrand === null || initialBrand === undefined) && channelById(data.channel_id)) {
      initialBrand = channelById(data.channel_id).brand_id;
    }
    setOptions(brandSelect, [["", T.choose_brand]].concat(brands.map(function (b) {
      return [String(b.id), b.name];
    })), "");
    brandSelect.value = initialBrand === null || initialBrand === undefined ? "" : String(initialBrand);
    if (brandSelect.value !== str(initialBrand)) brandSelect.value = "";

    /* The brand's channels that can carry proactive messages (and the saved one, whatever it is,
       so that opening and saving a message never changes its channel behind the admin's back). */
    function fillChannels(selected, keepSaved) {
      var brandId = brandSelect.value;
      var list = channels.filter(function (c) {
        var saved = keepSaved && String(c.id) === String(selected);
        return saved || (c.usable && String(c.brand_id) === brandId);
      });
      setOptions(channelSelect, [["", T.choose_channel]].concat(list.map(function (c) {
        return [String(c.id), c.usable ? c.name : fmt(T.channel_unusable, {name: c.name})];
      })), "");
      var found = list.some(function (c) { return String(c.id) === String(selected); });
      channelSelect.value = found ? String(selected) : "";
      var usable = list.filter(function (c) { return c.usable && String(c.brand_id) === brandId; });
      channelHint.textContent = !brandId ? T.choose_brand_first : (usable.length ? "" : T.no_channels);
    }
    fillChannels(data.channel_id, true);

    brandSelect.addEventListener("change", function () {
      var brandId = brandSelect.value, current = channelSelect.value;
      var usable = channels.filter(function (c) { return c.usable && String(c.brand_id) === brandId; });
      var keep = usable.some(function (c) { return String(c.id) === current; }) ? current
        : (usable.length === 1 ? usable[0].id : null);
      fillChannels(keep, false);
      updatePreview();
    });
    channelSelect.addEventListener("change", updatePreview);

    // Message text, counter, emoji and placeholders ------------------------------------------
    var textArea = $("pe-text"), counter = $("pe-counter");
    textArea.value = str(data.message);

    function updateCounter() {
      var n = Array.from(textArea.value).length;  // code points, as the server counts
      counter.textContent = fmt(n > MAX_TEXT ? T.counter_over : T.counter, {n: n, max: MAX_TEXT});
      counter.classList.toggle("over", n > MAX_TEXT);
      var refused = textArea.hasAttribute("data-refused");
      if (n > MAX_TEXT || refused) textArea.setAttribute("aria-invalid", "true");
      else textArea.removeAttribute("aria-invalid");
    }
    textArea.addEventListener("input", function () { updateCounter(); updatePreview(); });

    function insertAtCursor(field, snippet) {
      var start = typeof field.selectionStart === "number" ? field.selectionStart : field.value.length;
      var end = typeof field.selectionEnd === "number" ? field.selectionEnd : start;
      field.setRangeText(snippet, start, end, "end");
      field.focus();
      field.dispatchEvent(new Event("input", {bubbles: true}));
    }

    document.querySelectorAll(".pe-insert").forEach(function (button) {
      button.addEventListener("click", function () {
        insertAtCursor(textArea, button.getAttribute("data-insert"));
      });
    });

    var EMOJIS = ["👋", "🙂", "😊", "😀", "😉", "🎉", "👍", "🙌", "👏", "❤️", "✨", "⭐", "🚀", "💬",
                  "❓", "💡", "🎁", "🛒", "📦", "✅", "⏰", "📅", "🔥", "☕"];
    var emojiToggle = $("pe-emoji-toggle"), palette = $("pe-emoji-palette");

    function closePalette(focusToggle) {
      palette.hidden = true;
      emojiToggle.setAttribute("aria-expanded", "false");
      if (focusToggle) emojiToggle.focus();
    }
    EMOJIS.forEach(function (emoji) {
      palette.appendChild(h("button", {type: "button", className: "pe-emoji", text: emoji,
        "aria-label": emoji, on: {click: function () {
          closePalette(false);
          insertAtCursor(textArea, emoji);
        }}}));
    });
    emojiToggle.addEventListener("click", function () {
      var open = palette.hidden;
      palette.hidden = !open;
      emojiToggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) palette.querySelector("button").focus();
    });
    palette.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.stopPropagation(); closePalette(true); }
    });

    // Response ------------------------------------------------------------------------------
    var response = data.response && typeof data.response === "object" ? data.response : {};
    var responseType = response.type === "bot" ? "bot" : "agent";
    // Both by default (SPEC §2); a bot response keeps the default for a switch back to agent.
    var collect = Array.isArray(response.collect) ? ["name", "email"].filter(function (f) {
      return response.collect.indexOf(f) >= 0;
    }) : ["name", "email"];
    var followUp = $("pe-follow-up");
    followUp.value = str(response.follow_up);
    var agentBox = $("pe-agent"), botBox = $("pe-bot");
    var responseRadios = document.querySelectorAll('input[name="pe-response-type"]');

    function showResponse() {
      agentBox.hidden = responseType !== "agent";
      botBox.hidden = responseType !== "bot";
    }
    responseRadios.forEach(function (radio) {
      radio.checked = radio.value === responseType;
      radio.addEventListener("change", function () {
        if (radio.checked) { responseType = radio.value; showResponse(); updatePreview(); }
      });
    });
    showResponse();

    // The bot response: the channel's connected bot and one of its answers ------------------
    var bots = ctx.bots || [];
    var botSelect = $("pe-bot-id"), answerSelect = $("pe-answer-id"), botHint = $("pe-bot-hint");
    var savedBot = response.type === "bot" ? response.bot_id : null;
    var savedAnswer = response.type === "bot" ? response.answer_id : null;

    function botById(id) {
      for (var i = 0; i < bots.length; i++) if (String(bots[i].id) === String(id)) return bots[i];
      return null;
    }

    function hintWithLink(text, href, words) {
      botHint.replaceChildren(text);
      if (href) botHint.append(" ", h("a", {href: href, text: words}));
    }

    /* The bots offered: the channel's connected bot, and the one the message names when that is
       another (so that opening and saving a message never changes its bot behind the admin's
       back; its problems say why it cannot be published). `preferConnected` after a change of
       channel: the new channel's bot is the one wanted. */
    function fillBots(preferConnected) {
      var channel = channelById(channelSelect.value);
      var connected = channel && channel.bot_id !== null && channel.bot_id !== undefined
        ? botById(channel.bot_id) : null;
      var offered = connected ? [connected] : [];
      var saved = botById(savedBot);
      if (saved && saved !== connected) offered.push(saved);
      var previous = botSelect.value;
      setOptions(botSelect, (offered.length ? [] : [["", T.bot_no_bot]]).concat(offered.map(function (b) {
        var label = b !== connected ? fmt(T.bot_not_connected, {name: b.name})
          : (b.published ? b.name : fmt(T.bot_draft_option, {name: b.name}));
        return [String(b.id), label];
      })), "");
      var pick = preferConnected && connected ? connected
        : (botById(previous) && offered.indexOf(botById(previous)) >= 0 ? botById(previous)
          : (saved || connected));
      botSelect.value = pick ? String(pick.id) : "";
      botSelect.disabled = !offered.length;
      fillAnswers();
      if (!channel) hintWithLink(T.bot_choose_channel);
      else if (!connected && !ctx.has_bots) {
        hintWithLink(fmt(T.bot_none_yet, {channel: channel.name}), "/admin/bots/new", T.bot_create);
      } else if (!connected) {
        hintWithLink(fmt(T.bot_none, {channel: channel.name}), "/admin/channels/" + channel.id, T.bot_connect);
      } else if (!connected.published) {
        hintWithLink(fmt(T.bot_draft, {bot: connected.name, channel: channel.name}),
                     "/admin/bots/" + connected.id, T.bot_open);
      } else if (pick && !pick.answers.length) {
        hintWithLink(T.bot_add_answer, "/admin/bots/" + pick.id, T.bot_open);
      } else botHint.replaceChildren();
    }

    function fillAnswers() {
      var bot = botById(botSelect.value);
      var answers = bot ? bot.answers : [];
      var previous = answerSelect.value;
      setOptions(answerSelect, [["", T.choose_answer]].concat(answers.map(function (a) {
        return [String(a.id), a.name];
      })), "");
      var has = function (id) {
        return answers.some(function (a) { return String(a.id) === String(id); });
      };
      answerSelect.value = has(previous) ? previous : (has(savedAnswer) ? String(savedAnswer)
        : (answers.length === 1 ? String(answers[0].id) : ""));
      answerSelect.disabled = !answers.length;
    }

    fillBots(false);
    botSelect.addEventListener("change", function () {
      fillBots(false);
      updatePreview();
    });
    channelSelect.addEventListener("change", function () { fillBots(true); updatePreview(); });
    brandSelect.addEventListener("change", function () { fillBots(true); updatePreview(); });

    var collectBox = $("pe-collect"), collectAdd = $("pe-collect-add");
    function renderCollect(focus) {
      collectBox.replaceChildren();
      collectAdd.replaceChildren();
      ["name", "email"].forEach(function (f) {
        var label = T["collect_" + f];
        if (collect.indexOf(f) >= 0) {
          collectBox.appendChild(h("span", {className: "chip", "data-collect": f}, [
            label,
            h("button", {type: "button", className: "chip-x", text: "×",
              "aria-label": fmt(T.remove_item, {name: label}), on: {click: function () {
                collect = collect.filter(function (x) { return x !== f; });
                renderCollect({add: f});
              }}}),
          ]));
        } else {
          collectAdd.appendChild(h("button", {type: "button", className: "chip-add",
            "data-collect-add": f, text: "+ " + label, on: {click: function () {
              collect = ["name", "email"].filter(function (x) { return x === f || collect.indexOf(x) >= 0; });
              renderCollect({remove: f});
            }}}));
        }
      });
      if (!collect.length) collectBox.appendChild(h("span", {className: "hint", text: T.collect_none}));
      if (focus && focus.add) collectAdd.querySelector('[data-collect-add="' + focus.add + '"]').focus();
      if (focus && focus.remove) collectBox.querySelector('[data-collect="' + focus.remove + '"] button').focus();
    }
    renderCollect();

    function buildResponse() {
      if (responseType === "bot") {
        return {type: "bot", bot_id: idOrNull(botSelect.value), answer_id: idOrNull(answerSelect.value)};
      }
      return {type: "agent", collect: collect.slice(), follow_up: followUp.value};
    }

    // Conditions ----------------------------------------------------------------------------
    var FIELD_ORDER = ["page_url", "page_title", "visit_history", "language", "referrer",
                       "device_type", "visit_count", "pages_in_visit"].filter(function (f) {
      return f in FIELDS;
    });
    var ATTRIBUTE = FIELDS["attribute.NAME"] || {prefix: "attribute.", operators_by_value: {}};
    var PREFIX = ATTRIBUTE.prefix || "attribute.";
    var MAX_CONDITIONS = LIMITS.max_conditions || 30;
    var MIN_TO_NEST = LIMITS.min_conditions_to_nest || 3;
    var MAX_VALUES = LIMITS.max_list_items || 20;
    var LANGUAGES = ctx.languages || [];
    var treeErrors = (ctx.errors || []).filter(function (e) {
      return e.path === "conditions" || String(e.path).indexOf("conditions.") === 0;
    });
    var builder = $("pe-conditions");

    function isAttribute(field) { return String(field).indexOf(PREFIX) === 0; }

    function valueKind(c) {
      if (isAttribute(c.field)) return c.kind === "number" || c.kind === "boolean" ? c.kind : "text";
      var spec = FIELDS[c.field];
      return spec ? spec.value : "text";
    }

    function operatorsFor(c) {
      if (isAttribute(c.field)) return ATTRIBUTE.operators_by_value[valueKind(c)] || [];
      var spec = FIELDS[c.field];
      return spec ? spec.operators : [];
    }

    function takesList(c) {
      var spec = isAttribute(c.field) ? ATTRIBUTE : FIELDS[c.field];
      return valueKind(c) === "text" && !!spec && (spec.list_operators || []).indexOf(c.operator) >= 0;
    }

    function defaultOperator(c) {
      var ops = operatorsFor(c), kind = valueKind(c);
      var wanted = kind === "text" && !isAttribute(c.field) ? "contains"
        : (kind === "integer" ? "gte" : "is");
      return ops.indexOf(wanted) >= 0 ? wanted : (ops[0] || "is");
    }

    function defaultValue(c) {
      switch (valueKind(c)) {
        case "text": return takesList(c) ? [""] : "";
        case "choice": return ((FIELDS[c.field] || {}).choices || [""])[0];
        case "integer": return 1;
        case "number": return 0;
        case "boolean": return true;
        default: return "";
      }
    }

    /* After an operator change: a list becomes its first item, a single text a list of one. */
    function fitValue(c) {
      if (valueKind(c) !== "text") return;
      if (takesList(c)) {
        if (!Array.isArray(c.value)) c.value = [typeof c.value === "string" ? c.value : ""];
      } else if (Array.isArray(c.value)) {
        c.value = c.value.length ? str(c.value[0]) : "";
      } else if (typeof c.value !== "string") c.value = str(c.value);
    }

    function newCondition() {
      var c = {type: "condition", field: "page_url", operator: ""};
      c.operator = defaultOperator(c);
      c.value = defaultValue(c);
      return c;
    }

    function fromJSON(node, isRoot) {
      if (node && typeof node === "object" && !Array.isArray(node)) {
        if (Array.isArray(node.all) || Array.isArray(node.any)) {
          var op = Array.isArray(node.all) ? "all" : "any";
          return {type: "group", op: op, children: node[op].map(function (child) {
            return fromJSON(child, false);
          }).filter(Boolean)};
        }
        if ("field" in node || "operator" in node || "value" in node) {
          var c = {type: "condition", field: str(node.field) || "page_url",
                   operator: str(node.operator), value: node.value};
          if (isAttribute(c.field)) {
            c.kind = typeof c.value === "boolean" ? "boolean"
              : (typeof c.value === "number" ? "number" : "text");
          }
          if (c.value === undefined) c.value = defaultValue(c);
          return c;
        }
      }
      return isRoot ? {type: "group", op: "all", children: []} : null;
    }

    function toJSON(node) {
      if (node.type === "group") {
        var out = {};
        out[node.op] = node.children.map(toJSON);
        return out;
      }
      var value = node.value;
      if (Array.isArray(value)) {
        // Extra empty boxes left by "+ value" are dropped; a list of only blanks is sent as is.
        var filled = value.filter(function (v) { return String(v).trim() !== ""; });
        if (filled.length) value = filled;
      }
      return {field: node.field, operator: node.operator, value: value};
    }

    function countConditions(node) {
      if (node.type === "condition") return 1;
      return node.children.reduce(function (n, child) { return n + countConditions(child); }, 0);
    }

    function hasGroups(group) {
      return group.children.some(function (c) { return c.type === "group"; });
    }

    var tree = fromJSON(data.conditions, true);

    function errorsAt(path, exact) {
      return treeErrors.filter(function (e) {
        return e.path === path || (!exact && e.path.indexOf(path + ".") === 0);
      });
    }

    function errorList(errors, id) {
      if (!errors.length) return null;
      return h("ul", {className: "cb-errors", id: id}, errors.map(function (e) {
        return h("li", {text: e.msg});
      }));
    }

    /* An input of a refused condition: described by the row's errors; invalid when an error
       names it (or names the condition as a whole). */
    function markInvalid(input, path, describedBy, rowPath) {
      var named = treeErrors.some(function (e) { return e.path === path || e.path.indexOf(path + ".") === 0; });
      var whole = rowPath && treeErrors.some(function (e) {
        if (e.path === rowPath) return true;
        var rest = e.path.indexOf(rowPath + ".") === 0 ? e.path.slice(rowPath.length + 1).split(".")[0] : null;
        return rest !== null && ["field", "operator", "value"].indexOf(rest) < 0;
      });
      if (named || whole) input.setAttribute("aria-invalid", "true");
      if (describedBy) addDescription(input, describedBy);
    }

    /* Conditions and nested groups are numbered apart, each within its group, as the server
       names them in a refusal ("Nested group 1, Condition 2 (Language)"). */
    function numbers(group) {
      var conditions = 0, groups = 0;
      return group.children.map(function (child) {
        return child.type === "group" ? ++groups : ++conditions;
      });
    }

    var uid = 0;

    /* Re-draws the whole builder; `focus` names the element to focus afterwards. */
    function renderBuilder(focus) {
      builder.replaceChildren(renderGroup(tree, "conditions", true, null, 0));
      if (!focus) return;
      var target = null;
      builder.querySelectorAll("[data-path]").forEach(function (node) {
        if (node.getAttribute("data-path") === focus.path) {
          var found = node.querySelectorAll("." + focus.cls);
          if (found.length) target = found[focus.last ? found.length - 1 : 0];
        }
      });
      if (target) target.focus();
    }

    function structuralChange(focus) {
      treeErrors = [];  // paths in the server's answer no longer point at the same places
      renderBuilder(focus);
    }

    function renderGroup(group, path, isRoot, parent, index, number) {
      var count = countConditions(tree);
      /* A list holds only list items (<li>); the item holds the group, named for screen readers. */
      var outer = isRoot ? null : h("li", {className: "cb-group cb-nested", "data-path": path});
      var box = isRoot ? h("div", {className: "cb-group cb-root", "data-path": path})
        : h("div", {className: "cb-group-body", role: "group",
                    "aria-label": fmt(T.nested_group, {n: number})});
      if (outer) outer.appendChild(box);
      var opSelect = h("select", {className: "cb-op"}, [
        option("all", T.op_all), option("any", T.op_any)]);
      opSelect.value = group.op;
      opSelect.addEventListener("change", function () {
        group.op = opSelect.value;
        structuralChange({path: path, cls: "cb-op"});
      });
      var head = h("div", {className: "cb-head"}, [
        h("label", {className: "cb-op-label"}, [
          h("span", {text: isRoot ? T.match_root : fmt(T.match_group, {n: number})}), " ", opSelect]),
      ]);
      if (!isRoot) {
        head.appendChild(h("button", {type: "button", className: "cb-remove-group link",
          text: T.remove_group, "aria-label": fmt(T.remove_group_n, {n: number}), on: {click: function () {
            parent.children.splice(index, 1);
            structuralChange({path: "conditions", cls: "cb-add"});
          }}}));
      }
      box.appendChild(head);
      var own = errorsAt(path, true);
      if (own.length) box.appendChild(errorList(own, "cb-err-" + (++uid)));

      if (group.children.length) {
        var list = h("ol", {className: "cb-list"});
        var numbered = numbers(group);
        group.children.forEach(function (child, i) {
          var childPath = path + "." + group.op + "." + i;
          list.appendChild(child.type === "group"
            ? renderGroup(child, childPath, false, group, i, numbered[i])
            : renderCondition(child, childPath, group, i, numbered[i], isRoot ? null : number));
        });
        box.appendChild(list);
      } else if (isRoot) {
        box.appendChild(h("p", {className: "hint cb-empty", text: T.no_conditions}));
      }

      var full = count >= MAX_CONDITIONS;
      var actions = h("div", {className: "cb-actions"}, [
        h("button", {type: "button", className: "cb-add", text: T.add_condition, disabled: full,
          on: {click: function () {
            group.children.push(newCondition());
            structuralChange({path: path + "." + group.op + "." + (group.children.length - 1),
                              cls: "cb-field"});
          }}}),
      ]);
      if (isRoot) {
        // SPEC §3: a rule with two conditions or fewer may not nest groups.
        var canNest = count >= MIN_TO_NEST && count + 1 <= MAX_CONDITIONS;
        actions.appendChild(h("button", {type: "button", className: "cb-add-nested",
          text: T.add_nested, hidden: !canNest, on: {click: function () {
            group.children.push({type: "group", op: "any", children: [newCondition()]});
            var at = path + "." + group.op + "." + (group.children.length - 1);
            structuralChange({path: at + ".any.0", cls: "cb-field"});
          }}}));
        if (count < MIN_TO_NEST && !hasGroups(group)) {
          actions.appendChild(h("span", {className: "hint cb-nest-hint", text: fmt(T.nest_hint, {n: MIN_TO_NEST})}));
        }
      }
      box.appendChild(actions);
      if (isRoot && count < MIN_TO_NEST && hasGroups(group)) {
        box.appendChild(h("p", {className: "warning cb-warning", role: "status",
          text: fmt(T.nest_too_few, {n: MIN_TO_NEST})}));
      }
      if (isRoot && full) {
        box.appendChild(h("p", {className: "hint", text: fmt(T.max_conditions, {n: MAX_CONDITIONS})}));
      }
      return outer || box;
    }

    function fieldLabel(field) {
      if (isAttribute(field)) return fmt(T.attribute_named, {name: field.slice(PREFIX.length)});
      return (T.fields || {})[field] || field;
    }

    function renderCondition(c, path, parent, index, n, groupNumber) {
      var errors = errorsAt(path, false);
      var errorsId = errors.length ? "cb-err-" + (++uid) : null;
      var named = fmt(T.condition_named, {n: n, field: fieldLabel(c.field)});
      var row = h("li", {className: "cb-row" + (errors.length ? " cb-row-invalid" : ""), "data-path": path});
      var inner = h("div", {className: "cb-row-body", role: "group", "aria-label": named});
      row.appendChild(inner);

      // Field
      var fieldSelect = h("select", {className: "cb-field", "aria-label": T.field});
      FIELD_ORDER.forEach(function (f) { fieldSelect.appendChild(option(f, T.fields[f] || f)); });
      fieldSelect.appendChild(option("attribute", T.fields.attribute));
      var known = isAttribute(c.field) || FIELD_ORDER.indexOf(c.field) >= 0;
      if (!known) fieldSelect.appendChild(option(c.field, c.field));
      fieldSelect.value = isAttribute(c.field) ? "attribute" : c.field;
      markInvalid(fieldSelect, path + ".field", errorsId, path);
      fieldSelect.addEventListener("change", function () {
        var chosen = fieldSelect.value;
        if (chosen === "attribute") {
          c.field = isAttribute(c.field) ? c.field : PREFIX;
          c.kind = "text";
        } else {
          c.field = chosen;
          delete c.kind;
        }
        c.operator = defaultOperator(c);
        c.value = defaultValue(c);
        structuralChange({path: path, cls: "cb-field"});
      });
      var parts = [fieldSelect];

      // Attribute name and the type of its value
      if (isAttribute(c.field)) {
        var nameBox = h("input", {type: "text", className: "cb-attr-name", value: c.field.slice(PREFIX.length),
          "aria-label": T.attribute_name, placeholder: "plan", maxlength: 64, spellcheck: "false"});
        nameBox.addEventListener("input", function () { c.field = PREFIX + nameBox.value.trim(); });
        markInvalid(nameBox, path + ".field", errorsId, path);
        var kindSelect = h("select", {className: "cb-attr-kind", "aria-label": T.attribute_kind}, [
          option("text", T.kind_text), option("number", T.kind_number), option("boolean", T.kind_boolean)]);
        kindSelect.value = valueKind(c);
        markInvalid(kindSelect, path + ".kind", errorsId, path);
        kindSelect.addEventListener("change", function () {
          c.kind = kindSelect.value;
          if (operatorsFor(c).indexOf(c.operator) < 0) c.operator = defaultOperator(c);
          c.value = defaultValue(c);
          structuralChange({path: path, cls: "cb-attr-kind"});
        });
        parts.push(nameBox, kindSelect);
      }

      // Operator
      var opSelect = h("select", {className: "cb-operator", "aria-label": T.operator});
      var ops = operatorsFor(c).slice();
      if (c.operator && ops.indexOf(c.operator) < 0) ops.push(c.operator);  // the server names it
      ops.forEach(function (op) { opSelect.appendChild(option(op, (T.operators || {})[op] || op)); });
      opSelect.value = c.operator;
      markInvalid(opSelect, path + ".operator", errorsId, path);
      opSelect.addEventListener("change", function () {
        var wasList = takesList(c);
        c.operator = opSelect.value;
        fitValue(c);
        if (wasList !== takesList(c)) renderBuilder({path: path, cls: "cb-operator"});
      });
      parts.push(opSelect);

      // Value
      parts.push(valueInput(c, path, errorsId));

      // Remove: the button says which condition it removes.
      var removeName = groupNumber
        ? fmt(T.remove_condition_nested, {n: n, field: fieldLabel(c.field), group: groupNumber})
        : fmt(T.remove_condition, {n: n, field: fieldLabel(c.field)});
      parts.push(h("button", {type: "button", className: "cb-remove", text: "×",
        "aria-label": removeName, title: removeName,
        on: {click: function () {
          parent.children.splice(index, 1);
          var focusPath = parent.children.length
            ? path.replace(/\.\d+$/, "." + Math.min(index, parent.children.length - 1)) : null;
          var target = parent.children.length && parent.children[Math.min(index, parent.children.length - 1)];
          if (target && target.type === "condition") structuralChange({path: focusPath, cls: "cb-field"});
          else structuralChange({path: "conditions", cls: "cb-add"});
        }}}));

      inner.appendChild(h("div", {className: "cb-inputs"}, parts));
      if (errors.length) inner.appendChild(errorList(errors, errorsId));
      return row;
    }

    function valueInput(c, path, errorsId) {
      var kind = valueKind(c);
      var valuePath = path + ".value";
      if (kind === "text" && takesList(c)) {
        if (!Array.isArray(c.value)) c.value = [str(c.value)];
        var box = h("div", {className: "cb-values", role: "group", "aria-label": T.value});
        c.value.forEach(function (v, i) {
          var input = h("input", {type: "text", className: "cb-value", value: str(v),
            "aria-label": fmt(T.value_n, {n: i + 1}), placeholder: c.field === "page_url" ? "/pricing" : ""});
          markInvalid(input, valuePath + "." + i, errorsId, path);
          if (treeErrors.some(function (e) { return e.path === valuePath; })) markInvalid(input, valuePath, errorsId, path);
          var item = h("span", {className: "cb-value-item"}, [input]);
          var remove = null;
          /* "Remove value 2 (/plans)": the button names the value it removes, as typed. */
          function removeName() {
            var typed = input.value.trim();
            if (typed.length > 40) typed = typed.slice(0, 39) + "…";
            return typed ? fmt(T.remove_value_named, {n: i + 1, value: typed}) : fmt(T.remove_value, {n: i + 1});
          }
          if (c.value.length > 1) {
            remove = h("button", {type: "button", className: "cb-value-remove", text: "×",
              "aria-label": removeName(), on: {click: function () {
                c.value.splice(i, 1);
                renderBuilder({path: path, cls: "cb-value-add"});
              }}});
            item.appendChild(remove);
          }
          input.addEventListener("input", function () {
            c.value[i] = input.value;
            if (remove) remove.setAttribute("aria-label", removeName());
          });
          box.appendChild(item);
        });
        if (c.value.length < MAX_VALUES) {
          box.appendChild(h("button", {type: "button", className: "cb-value-add link", text: T.add_value,
            on: {click: function () {
              c.value.push("");
              renderBuilder({path: path, cls: "cb-value", last: true});
            }}}));
        }
        return box;
      }
      var input;
      if (kind === "choice") {
        input = h("select", {className: "cb-value", "aria-label": T.value});
        ((FIELDS[c.field] || {}).choices || []).forEach(function (choice) {
          input.appendChild(option(choice, (T.choices || {})[choice] || choice));
        });
        if (typeof c.value === "string" && !input.querySelector('option[value="' + CSS.escape(c.value) + '"]')) {
          input.appendChild(option(c.value, c.value));
        }
        input.value = str(c.value);
        input.addEventListener("change", function () { c.value = input.value; });
      } else if (kind === "boolean") {
        input = h("select", {className: "cb-value", "aria-label": T.value}, [
          option("true", T["true"]), option("false", T["false"])]);
        input.value = c.value === false ? "false" : "true";
        c.value = input.value === "true";
        input.addEventListener("change", function () { c.value = input.value === "true"; });
      } else if (kind === "integer" || kind === "number") {
        input = h("input", {type: "number", className: "cb-value", "aria-label": T.value,
          value: c.value === null || c.value === undefined ? "" : str(c.value),
          step: kind === "integer" ? "1" : "any", min: kind === "integer" ? (LIMITS.min_integer || 0) : null,
          max: kind === "integer" ? (LIMITS.max_integer || null) : null});
        input.addEventListener("input", function () {
          var v = numberOrRaw(input.value);
          c.value = v === null ? "" : v;
        });
      } else if (kind === "language") {
        /* A language: common tags offered by name (datalist #pe-languages), any tag typed. */
        input = h("input", {type: "text", className: "cb-value cb-language", "aria-label": T.value,
          value: str(c.value), placeholder: "pt-BR", list: "pe-languages", autocomplete: "off",
          spellcheck: "false"});
        var spoken = h("span", {className: "hint cb-language-name", id: "cb-lang-" + (++uid)});
        var sayName = function () { spoken.textContent = languageName(input.value); };
        input.setAttribute("aria-describedby", spoken.id);
        input.addEventListener("input", function () { c.value = input.value.trim(); sayName(); });
        sayName();
        markInvalid(input, valuePath, errorsId, path);
        return h("span", {className: "cb-language-box"}, [input, spoken]);
      } else {
        input = h("input", {type: "text", className: "cb-value", "aria-label": T.value, value: str(c.value),
          placeholder: c.field === "page_url" ? "/pricing" : "",
          title: c.operator === "matches" ? T.wildcard_hint : null});
        input.addEventListener("input", function () { c.value = input.value; });
      }
      markInvalid(input, valuePath, errorsId, path);
      return input;
    }

    function languageName(tag) {
      var wanted = String(tag).trim().toLowerCase().replace(/_/g, "-");
      for (var i = 0; i < LANGUAGES.length; i++) {
        if (LANGUAGES[i].tag.toLowerCase() === wanted) return LANGUAGES[i].name;
      }
      return "";
    }

    renderBuilder();

    // Trigger -------------------------------------------------------------------------------
    var trigger = data.trigger && typeof data.trigger === "object" ? data.trigger : {};
    var triggerEvent = trigger.event === "on_page" ? "on_page" : "page_load";
    var seconds = Number.isInteger(trigger.seconds) ? trigger.seconds : 30;
    var minutesInput = $("pe-minutes"), secondsInput = $("pe-seconds"), timeBox = $("pe-trigger-time");
    minutesInput.value = String(Math.floor(seconds / 60));
    secondsInput.value = String(seconds % 60);
    document.querySelectorAll('input[name="pe-trigger"]').forEach(function (radio) {
      radio.checked = radio.value === triggerEvent;
      radio.addEventListener("change", function () {
        if (radio.checked) { triggerEvent = radio.value; timeBox.hidden = triggerEvent !== "on_page"; }
      });
    });
    timeBox.hidden = triggerEvent !== "on_page";

    function buildTrigger() {
      if (triggerEvent !== "on_page") return {event: "page_load"};
      var m = parseInt(minutesInput.value, 10) || 0, s = parseInt(secondsInput.value, 10) || 0;
      return {event: "on_page", seconds: m * 60 + s};
    }

    // Timing, frequency, priority -----------------------------------------------------------
    var timing = data.timing && typeof data.timing === "object" ? data.timing : {};
    var timingSelect = $("pe-timing"), scheduleSelect = $("pe-schedule"), scheduleBox = $("pe-schedule-box");
    timingSelect.value = ["business_hours", "outside_business_hours"].indexOf(timing.when) >= 0
      ? timing.when : "any_time";
    var scheduleChoices = [["", T.choose_schedule]].concat(schedules.map(function (s) {
      return [String(s.id), s.name + " (" + s.timezone + ")"];
    }));
    var savedSchedule = timing.schedule_id;
    if (savedSchedule !== null && savedSchedule !== undefined
        && !schedules.some(function (s) { return String(s.id) === String(savedSchedule); })) {
      savedSchedule = null;  // deleted: the problems list says so
    }
    setOptions(scheduleSelect, scheduleChoices, savedSchedule === null || savedSchedule === undefined
      ? (schedules.length === 1 ? String(schedules[0].id) : "") : String(savedSchedule));
    function showSchedule() { scheduleBox.hidden = timingSelect.value === "any_time"; }
    timingSelect.addEventListener("change", showSchedule);
    showSchedule();

    function buildTiming() {
      if (timingSelect.value === "any_time") return {when: "any_time"};
      return {when: timingSelect.value, schedule_id: idOrNull(scheduleSelect.value)};
    }

    var frequencySelect = $("pe-frequency");
    frequencySelect.value = ["once_per_customer", "once_per_visit", "every_time"].indexOf(data.frequency) >= 0
      ? data.frequency : "once_per_visit";
    var priorityInput = $("pe-priority");
    priorityInput.value = data.priority === null || data.priority === undefined ? "1" : str(data.priority);

    // Tags ----------------------------------------------------------------------------------
    /* The server's rule (SPEC §2): lower-case words of letters, digits, _, - and :, at most
       50 characters each, at most 20 tags. Typed with commas between them; a space inside a
       tag is refused in words, never taken as two tags. */
    var TAG = /^[a-z0-9_:\-]{1,50}$/, MAX_TAGS = 20;
    var tagsInput = $("pe-tags"), tagChips = $("pe-tag-chips");
    var tagError = h("p", {className: "field-error", id: "pe-tags-error", hidden: true});
    tagsInput.closest("label").insertAdjacentElement("afterend", tagError);
    tagsInput.value = Array.isArray(data.tags) ? data.tags.map(str).join(", ") : str(data.tags);
    function parseTags() {
      return tagsInput.value.split(",").map(function (t) { return t.trim(); })
        .filter(function (t) { return t !== ""; });
    }
    function tagProblem() {
      var tags = parseTags();
      if (tags.length > MAX_TAGS) return fmt(T.tag_too_many, {});
      for (var i = 0; i < tags.length; i++) {
        var tag = tags[i];
        if (/\s/.test(tag)) {
          return fmt(T.tag_space, {tag: tag, example: tag.toLowerCase().split(/\s+/).join("-")});
        }
        if (tag.length > 50) return fmt(T.tag_too_long, {tag: tag.slice(0, 20) + "…"});
        if (!TAG.test(tag.toLowerCase())) return fmt(T.tag_characters, {tag: tag});
      }
      return null;
    }
    /* Says what is wrong with the tags beside them (or nothing); true when they are fine. */
    function checkTags() {
      var problem = tagProblem();
      tagError.hidden = !problem;
      tagError.textContent = problem || "";
      if (problem) {
        tagsInput.setAttribute("aria-invalid", "true");
        addDescription(tagsInput, "pe-tags-error");
      } else if (!tagsInput.hasAttribute("data-refused")) {
        tagsInput.removeAttribute("aria-invalid");
      }
      return !problem;
    }
    function renderTags() {
      tagChips.replaceChildren.apply(tagChips, parseTags().map(function (t) {
        return h("span", {className: "chip", text: t.toLowerCase()});
      }));
    }
    tagsInput.addEventListener("input", function () { renderTags(); checkTags(); });
    renderTags();

    // Live preview --------------------------------------------------------------------------
    var previewBox = $("pe-preview");
    var avatar = h("span", {className: "pe-avatar", "aria-hidden": "true"});
    var sender = h("span", {className: "pe-sender"});
    var bubbleText = h("div", {className: "pe-bubble-text"});
    var launcher = h("span", {className: "pe-launcher", "aria-hidden": "true"});
    previewBox.appendChild(h("div", {className: "pe-stage"}, [
      h("div", {className: "pe-bubble"}, [
        h("div", {className: "pe-bubble-head"}, [avatar, sender,
          h("span", {className: "pe-bubble-x", "aria-hidden": "true", title: T.preview_close, text: "×"})]),
        bubbleText,
      ]),
      launcher,
    ]));

    function fillPlaceholders(text) {
      return text.replace(/\{\{\s*first_name\s*\}\}/g, T.sample_first_name)
        .replace(/\{\{\s*full_name\s*\}\}/g, T.sample_full_name);
    }

    /* The Markdown subset of messages: **bold**, *italic*, [text](https://…); the rest is text. */
    var INLINE = /\*\*([^*\n]+?)\*\*|\[([^\]\n]+)\]\(([^()\s]+)\)|\*([^*\n]+?)\*/g;
    function inline(text, parent) {
      var last = 0, m;
      INLINE.lastIndex = 0;
      var found = [];
      while ((m = INLINE.exec(text)) !== null) found.push({m: m, end: INLINE.lastIndex});
      found.forEach(function (hit) {
        var m = hit.m;
        if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
        if (m[1] !== undefined) {
          var strong = h("strong");
          inline(m[1], strong);
          parent.appendChild(strong);
        } else if (m[2] !== undefined) {
          if (/^https?:\/\//i.test(m[3])) {
            parent.appendChild(h("a", {href: m[3], target: "_blank", rel: "noopener noreferrer nofollow",
                                       text: m[2]}));
          } else parent.appendChild(document.createTextNode(m[0]));
        } else {
          var em = h("em");
          inline(m[4], em);
          parent.appendChild(em);
        }
        last = hit.end;
      });
      if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    }

    function renderMarkdown(text, into) {
      into.replaceChildren();
      text.split("\n").forEach(function (line, i) {
        if (i) into.appendChild(h("br"));
        inline(line, into);
      });
    }

    function updatePreview() {
      var channel = channelById(channelSelect.value);
      var name = channel ? (channel.sender_name || channel.name) : T.preview_sender;
      var color = channel && /^#[0-9a-fA-F]{6}$/.test(channel.color) ? channel.color : "#1f73b7";
      // A bot response comes from the bot: its name, and its picture when it has one.
      var bot = responseType === "bot" ? botById(botSelect.value) : null;
      if (bot) name = bot.name;
      sender.textContent = name;
      if (bot && /^https?:\/\//i.test(bot.avatar_url || "")) {
        avatar.replaceChildren(h("img", {src: bot.avatar_url, alt: ""}));
      } else avatar.textContent = Array.from(name.trim())[0] || "";
      avatar.style.backgroundColor = color;
      launcher.style.backgroundColor = color;
      var text = textArea.value.trim();
      bubbleText.classList.toggle("empty", !text);
      if (text) renderMarkdown(fillPlaceholders(text), bubbleText);
      else bubbleText.textContent = T.preview_empty;
    }

    updateCounter();
    updatePreview();

    // Save ----------------------------------------------------------------------------------
    /* The whole message as it is on the screen. */
    function buildPayload() {
      return {
        name: nameInput.value,
        brand_id: idOrNull(brandSelect.value),
        channel_id: idOrNull(channelSelect.value),
        message: textArea.value,
        response: buildResponse(),
        conditions: toJSON(tree),
        trigger: buildTrigger(),
        tags: parseTags(),
        timing: buildTiming(),
        frequency: frequencySelect.value,
        priority: numberOrRaw(priorityInput.value),
      };
    }

    var leaving = false;
    form.addEventListener("submit", function (ev) {
      if (!checkTags()) {  // refused here, by the server's rule, before anything is sent
        ev.preventDefault();
        tagsInput.focus();
        return;
      }
      leaving = true;
      $("pe-payload").value = JSON.stringify(buildPayload());
    });

    // Unsaved changes -----------------------------------------------------------------------
    /* What was saved, as this page would send it; a page showing a refused save shows what
       was typed, which is not saved. */
    var saved = JSON.stringify(buildPayload());
    var refusedSave = (ctx.errors || []).length > 0;
    var unsavedNote = $("pe-unsaved");
    function dirty() { return refusedSave || JSON.stringify(buildPayload()) !== saved; }
    function showDirty() {
      var now = dirty();
      if (unsavedNote.textContent !== (now ? T.unsaved : "")) unsavedNote.textContent = now ? T.unsaved : "";
    }
    ["input", "change", "click"].forEach(function (type) {
      form.addEventListener(type, function () { window.setTimeout(showDirty, 0); });
    });
    showDirty();

    window.addEventListener("beforeunload", function (ev) {
      if (leaving || !dirty()) return;
      ev.preventDefault();
      ev.returnValue = "";  // older browsers need a value to ask
    });
    /* Links and the other forms of the page (Publish, Pause… which act on the saved message)
       ask in the page's own words; the browser then need not ask again. */
    document.addEventListener("click", function (ev) {
      var link = ev.target.closest && ev.target.closest("a[href]");
      if (!link || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey
          || ev.shiftKey || ev.altKey || link.target === "_blank" || link.hasAttribute("download")) return;
      var href = link.getAttribute("href");
      if (!href || href.charAt(0) === "#" || !dirty()) return;
      if (window.confirm(T.leave_confirm)) leaving = true;
      else ev.preventDefault();
    });
    document.addEventListener("submit", function (ev) {
      if (ev.target === form || ev.defaultPrevented || !dirty()) return;
      if (window.confirm(T.leave_confirm)) leaving = true;
      else ev.preventDefault();
    });

    markRefusedFields();

    // A refused save: each field marked, the first one focused ----------------------------
    /* The inputs of each field the server names (by its path, union members dropped), and
       where its message goes. */
    function fieldOf(path) {
      var head = path.split(".")[0], two = path.split(".").slice(0, 2).join(".");
      var radios = function (name) {
        return Array.prototype.slice.call(document.querySelectorAll('input[name="' + name + '"]'));
      };
      var map = {
        "name": [[nameInput]], "brand_id": [[brandSelect]], "channel_id": [[channelSelect], channelHint],
        "message": [[textArea], counter],
        "response": [radios("pe-response-type")], "response.type": [radios("pe-response-type")],
        "response.follow_up": [[followUp]], "response.collect": [[], collectAdd],
        "response.bot_id": [[botSelect], botHint], "response.answer_id": [[answerSelect], botHint],
        "trigger": [radios("pe-trigger")], "trigger.event": [radios("pe-trigger")],
        "trigger.seconds": [[minutesInput, secondsInput], timeBox.querySelector(".hint")],
        "timing": [[timingSelect]], "timing.when": [[timingSelect]],
        "timing.schedule_id": [[scheduleSelect]],
        "frequency": [[frequencySelect]], "priority": [[priorityInput], $("pe-priority-hint")],
        "tags": [[tagsInput], $("pe-tags-hint")],
      };
      return map[two] || map[head] || null;
    }

    function markRefusedFields() {
      var notes = {};
      (ctx.errors || []).forEach(function (e) {
        var path = str(e.path);
        if (path === "conditions" || path.indexOf("conditions.") === 0) return;  // the builder's
        var found = fieldOf(path);
        if (!found) return;
        var inputs = found[0], after = found[1];
        var key = path.split(".").slice(0, 2).join("-").replace(/[^\w-]/g, "");
        var note = notes[key];
        if (!note) {
          note = notes[key] = h("p", {className: "field-error", id: "pe-error-" + key});
          var anchor = after || (inputs[0] && (inputs[0].closest("label") || inputs[0]));
          if (anchor) anchor.insertAdjacentElement("afterend", note);
        }
        note.appendChild(h("span", {text: str(e.msg) + " "}));
        inputs.forEach(function (input) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("data-refused", "");
          addDescription(input, note.id);
        });
        if (path.indexOf("trigger") === 0) timeBox.hidden = triggerEvent !== "on_page";
        if (path.indexOf("timing.") === 0) scheduleBox.hidden = false;
      });
      // The first field marked, in the order of the page: the builder's inputs included.
      var first = form.querySelector('[aria-invalid="true"]');
      if (first && (ctx.errors || []).length) first.focus();
    }

    // Test a visit --------------------------------------------------------------------------
    var runButton = $("pe-test-run"), result = $("pe-test-result");
    if (!runButton || !ctx.test_url) return;

    /* ✓ / ✗ for the eye; screen readers hear "— matches" after the condition instead. */
    function mark(ok) {
      return h("span", {className: "mark " + (ok ? "yes" : "no"), "aria-hidden": "true",
                        text: ok ? "✓" : "✗"});
    }

    function spoken(ok) {
      return h("span", {className: "visually-hidden", text: " — " + (ok ? T.sr_yes : T.sr_no)});
    }

    function describe(cond) {
      var value = cond.value;
      var shown = Array.isArray(value) ? value.map(str).join(", ")
        : (typeof value === "boolean" ? T[value ? "true" : "false"] : ((T.choices || {})[value] || str(value)));
      return fieldLabel(str(cond.field)) + " " + ((T.operators || {})[cond.operator] || str(cond.operator)) + " " + shown;
    }

    function explained(node) {
      if (node && typeof node === "object" && "field" in node) {
        return h("li", {className: "cb-result"}, [mark(!!node.result), " ", describe(node),
                                                   spoken(!!node.result)]);
      }
      var op = Array.isArray(node.any) ? "any" : "all";
      var children = Array.isArray(node[op]) ? node[op] : [];
      return h("li", {className: "cb-result"}, [
        mark(!!node.result), " ", op === "any" ? T.group_any : T.group_all, spoken(!!node.result),
        h("ul", {}, children.map(explained)),
      ]);
    }

    function showVerdict(v) {
      var tree = v.conditions || {};
      var op = Array.isArray(tree.any) ? "any" : "all";
      var children = Array.isArray(tree[op]) ? tree[op] : [];
      var parts = [
        h("p", {className: "verdict " + (v.would_show ? "yes" : "no")},
          [mark(!!v.would_show), " ", v.would_show ? T.would_show : T.would_not_show]),
      ];
      if (v.reasons && v.reasons.length) {
        parts.push(h("ul", {className: "reasons"}, v.reasons.map(function (r) { return h("li", {text: r}); })));
      }
      parts.push(h("p", {className: "tree-verdict"}, [mark(!!v.matches), " ",
        children.length ? (v.matches ? T.tree_matches : T.tree_no_match) : T.no_conditions_match]));
      if (children.length) {
        parts.push(h("ul", {className: "tree"}, [h("li", {className: "cb-result"}, [
          mark(!!tree.result), " ", op === "any" ? T.group_any : T.group_all, spoken(!!tree.result),
          h("ul", {}, children.map(explained))])]));
      }
      result.replaceChildren.apply(result, parts);
    }

    /* The panel's inputs, by the name of the visit's field the server refuses. */
    var VISIT_INPUTS = {url: "pe-test-url", title: "pe-test-title", language: "pe-test-language",
      visit_history: "pe-test-history", device_type: "pe-test-device", visit_count: "pe-test-visits",
      pages_in_visit: "pe-test-pages", seconds_on_page: "pe-test-seconds"};

    function clearVisitMarks() {
      Object.keys(VISIT_INPUTS).forEach(function (k) { $(VISIT_INPUTS[k]).removeAttribute("aria-invalid"); });
    }

    /* A refusal: each problem by the label the admin sees (of the editor or of this panel). */
    function showError(body) {
      var lines = [];
      var err = body && body.error;
      if (err && Array.isArray(err.details) && err.details.length) {
        err.details.forEach(function (d) {
          var where = str(d.field);
          lines.push((where ? where + ": " : "") + str(d.msg || d.message));
          var visitField = /^visit\./.test(str(d.path)) ? str(d.path).slice(6) : null;
          if (visitField && VISIT_INPUTS[visitField]) $(VISIT_INPUTS[visitField]).setAttribute("aria-invalid", "true");
        });
      } else if (err && err.message) lines.push(str(err.message));
      else lines.push(T.network_error);
      result.replaceChildren(h("div", {className: "error", role: "alert"}, [
        h("p", {text: T.test_error}),
        h("ul", {}, lines.map(function (line) { return h("li", {text: line}); })),
      ]));
    }

    function intOrRaw(id) {
      var v = numberOrRaw($(id).value);
      return v === null ? $(id).value : v;
    }

    /* The visit stays one a visitor could make: the first visit is a new visitor's, any later
       one a returning visitor's. */
    var historySelect = $("pe-test-history"), visitsInput = $("pe-test-visits");
    historySelect.addEventListener("change", function () {
      var count = parseInt(visitsInput.value, 10);
      if (historySelect.value === "new") visitsInput.value = "1";
      else if (!(count > 1)) visitsInput.value = "2";
    });
    visitsInput.addEventListener("input", function () {
      var count = parseInt(visitsInput.value, 10);
      if (count >= 1) historySelect.value = count > 1 ? "returning" : "new";
    });

    runButton.addEventListener("click", function () {
      var body = {
        message_id: ctx.message_id === undefined ? null : ctx.message_id,
        message: buildPayload(),
        visit: {
          url: $("pe-test-url").value,
          title: $("pe-test-title").value,
          language: $("pe-test-language").value,
          visit_history: historySelect.value,
          device_type: $("pe-test-device").value,
          visit_count: intOrRaw("pe-test-visits"),
          pages_in_visit: intOrRaw("pe-test-pages"),
          seconds_on_page: intOrRaw("pe-test-seconds"),
        },
      };
      clearVisitMarks();
      runButton.disabled = true;
      result.replaceChildren(h("p", {className: "hint", text: T.testing}));
      fetch(ctx.test_url, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRF-Token": csrfToken()},
        body: JSON.stringify(body),
      }).then(function (r) {
        return r.json().then(function (j) { return {ok: r.ok, body: j}; },
                             function () { return {ok: false, body: null}; });
      }).then(function (answer) {
        if (answer.ok) showVerdict(answer.body); else showError(answer.body);
      }, function () { showError(null); }).then(function () { runButton.disabled = false; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
