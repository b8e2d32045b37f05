/* Overture — the proactive message editor.
 *
 * Plain JavaScript, no build step. The page renders the inputs and three JSON blobs
 * (#pe-context: the message and what it can refer to; #pe-strings: the UI words in the page's
 * language). This script fills the inputs, runs the condition builder, the live preview and
 * the test-a-visit panel, and on submit writes the whole message as JSON into the hidden
 * `payload` field. The server validates everything; nothing here is trusted.
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
      textArea.setAttribute("aria-invalid", n > MAX_TEXT ? "true" : "false");
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

    function markInvalid(input, path, describedBy) {
      if (treeErrors.some(function (e) { return e.path === path || e.path.indexOf(path + ".") === 0; })) {
        input.setAttribute("aria-invalid", "true");
        if (describedBy) input.setAttribute("aria-describedby", describedBy);
      }
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

    function renderGroup(group, path, isRoot, parent, index) {
      var count = countConditions(tree);
      var box = h(isRoot ? "div" : "li", {
        className: isRoot ? "cb-group cb-root" : "cb-group cb-nested", "data-path": path,
        role: isRoot ? null : "group", "aria-label": isRoot ? null : T.nested_group,
      });
      var opSelect = h("select", {className: "cb-op"}, [
        option("all", T.op_all), option("any", T.op_any)]);
      opSelect.value = group.op;
      opSelect.addEventListener("change", function () {
        group.op = opSelect.value;
        structuralChange({path: path, cls: "cb-op"});
      });
      var head = h("div", {className: "cb-head"}, [
        h("label", {className: "cb-op-label"}, [
          h("span", {text: isRoot ? T.match_root : T.match_group}), " ", opSelect]),
      ]);
      if (!isRoot) {
        head.appendChild(h("button", {type: "button", className: "cb-remove-group link",
          text: T.remove_group, on: {click: function () {
            parent.children.splice(index, 1);
            structuralChange({path: "conditions", cls: "cb-add"});
          }}}));
      }
      box.appendChild(head);
      var own = errorsAt(path, true);
      if (own.length) box.appendChild(errorList(own, "cb-err-" + (++uid)));

      if (group.children.length) {
        var list = h("ol", {className: "cb-list"});
        group.children.forEach(function (child, i) {
          var childPath = path + "." + group.op + "." + i;
          list.appendChild(child.type === "group"
            ? renderGroup(child, childPath, false, group, i)
            : renderCondition(child, childPath, group, i));
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
      return box;
    }

    function fieldLabel(field) {
      if (isAttribute(field)) return fmt(T.attribute_named, {name: field.slice(PREFIX.length)});
      return (T.fields || {})[field] || field;
    }

    function renderCondition(c, path, parent, index) {
      var n = index + 1;
      var row = h("li", {className: "cb-row", "data-path": path, role: "group",
                         "aria-label": fmt(T.condition_n, {n: n})});
      var errors = errorsAt(path, false);
      var errorsId = errors.length ? "cb-err-" + (++uid) : null;

      // Field
      var fieldSelect = h("select", {className: "cb-field", "aria-label": T.field});
      FIELD_ORDER.forEach(function (f) { fieldSelect.appendChild(option(f, T.fields[f] || f)); });
      fieldSelect.appendChild(option("attribute", T.fields.attribute));
      var known = isAttribute(c.field) || FIELD_ORDER.indexOf(c.field) >= 0;
      if (!known) fieldSelect.appendChild(option(c.field, c.field));
      fieldSelect.value = isAttribute(c.field) ? "attribute" : c.field;
      markInvalid(fieldSelect, path + ".field", errorsId);
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
        markInvalid(nameBox, path + ".field", errorsId);
        var kindSelect = h("select", {className: "cb-attr-kind", "aria-label": T.attribute_kind}, [
          option("text", T.kind_text), option("number", T.kind_number), option("boolean", T.kind_boolean)]);
        kindSelect.value = valueKind(c);
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
      markInvalid(opSelect, path + ".operator", errorsId);
      opSelect.addEventListener("change", function () {
        var wasList = takesList(c);
        c.operator = opSelect.value;
        fitValue(c);
        if (wasList !== takesList(c)) renderBuilder({path: path, cls: "cb-operator"});
      });
      parts.push(opSelect);

      // Value
      parts.push(valueInput(c, path, errorsId));

      // Remove
      parts.push(h("button", {type: "button", className: "cb-remove", text: "×",
        "aria-label": fmt(T.remove_condition, {n: n}), title: fmt(T.remove_condition, {n: n}),
        on: {click: function () {
          parent.children.splice(index, 1);
          var focusPath = parent.children.length
            ? path.replace(/\.\d+$/, "." + Math.min(index, parent.children.length - 1)) : null;
          var target = parent.children.length && parent.children[Math.min(index, parent.children.length - 1)];
          if (target && target.type === "condition") structuralChange({path: focusPath, cls: "cb-field"});
          else structuralChange({path: "conditions", cls: "cb-add"});
        }}}));

      row.appendChild(h("div", {className: "cb-inputs"}, parts));
      if (errors.length) row.appendChild(errorList(errors, errorsId));
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
          input.addEventListener("input", function () { c.value[i] = input.value; });
          markInvalid(input, valuePath + "." + i, errorsId);
          if (treeErrors.some(function (e) { return e.path === valuePath; })) markInvalid(input, valuePath, errorsId);
          var item = h("span", {className: "cb-value-item"}, [input]);
          if (c.value.length > 1) {
            item.appendChild(h("button", {type: "button", className: "cb-value-remove", text: "×",
              "aria-label": fmt(T.remove_value, {n: i + 1}), on: {click: function () {
                c.value.splice(i, 1);
                renderBuilder({path: path, cls: "cb-value-add"});
              }}}));
          }
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
      } else {
        input = h("input", {type: "text", className: "cb-value", "aria-label": T.value, value: str(c.value),
          placeholder: kind === "language" ? "pt-BR" : (c.field === "page_url" ? "/pricing" : ""),
          title: c.operator === "matches" ? T.wildcard_hint : null});
        input.addEventListener("input", function () { c.value = input.value; });
      }
      markInvalid(input, valuePath, errorsId);
      return input;
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
    var tagsInput = $("pe-tags"), tagChips = $("pe-tag-chips");
    tagsInput.value = Array.isArray(data.tags) ? data.tags.map(str).join(", ") : str(data.tags);
    function parseTags() {
      return tagsInput.value.split(",").map(function (t) { return t.trim(); })
        .filter(function (t) { return t !== ""; });
    }
    function renderTags() {
      tagChips.replaceChildren.apply(tagChips, parseTags().map(function (t) {
        return h("span", {className: "chip", text: t.toLowerCase()});
      }));
    }
    tagsInput.addEventListener("input", renderTags);
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
    form.addEventListener("submit", function () {
      $("pe-payload").value = JSON.stringify({
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
      });
    });

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

    function showError(body) {
      var lines = [];
      var err = body && body.error;
      if (err && Array.isArray(err.details) && err.details.length) {
        err.details.forEach(function (d) {
          var where = Array.isArray(d.loc) ? d.loc.join(".") : "";
          lines.push((where ? where + ": " : "") + str(d.msg || d.message));
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

    runButton.addEventListener("click", function () {
      var body = {
        url: $("pe-test-url").value,
        title: $("pe-test-title").value,
        language: $("pe-test-language").value,
        visit_history: $("pe-test-history").value,
        device_type: $("pe-test-device").value,
        visit_count: intOrRaw("pe-test-visits"),
        pages_in_visit: intOrRaw("pe-test-pages"),
        seconds_on_page: intOrRaw("pe-test-seconds"),
      };
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
