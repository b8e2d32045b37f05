/* Overture — the flow editor of a bot's answer, and its "Try it" preview.
 *
 * Plain JavaScript, no build step. The page holds two JSON blobs: #be-context (the steps, the
 * problems of the saved answer, the errors of a refused save, the bot's name and avatar) and
 * #be-strings (the words, in the page's language). The steps are drawn as cards from `steps`,
 * the one list every control edits; on submit the list is written as JSON into the hidden
 * `steps` field. The server validates everything; nothing here is trusted.
 *
 * Text typed by anyone is only ever put into the page with textContent / createElement.
 */
(function () {
  "use strict";

  var h = window.OvertureUI.h;  /* dom.js */
  var TYPES = ["message", "options", "collect", "handoff", "end"];
  var MAX_STEPS = 100, MAX_OPTIONS = 10;
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function $(id) { return document.getElementById(id); }

  function readJSON(id) {
    var node = $(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var fmt = window.OvertureUI.fmt, str = window.OvertureUI.str;  /* dom.js */

  function linkOrNull(value) { return typeof value === "string" && value !== "" ? value : null; }

  /* A step as the editor holds it: every field any type may use, so that a change of type
     keeps what still applies. `tagsText` is the tags input as typed. */
  function fromJSON(raw) {
    var type = TYPES.indexOf(raw.type) >= 0 ? raw.type : "message";
    var tags = Array.isArray(raw.tags) ? raw.tags.map(str) : [];
    return {
      id: str(raw.id), type: type, text: str(raw.text), next: linkOrNull(raw.next),
      options: Array.isArray(raw.options) ? raw.options.filter(function (o) {
        return o && typeof o === "object";
      }).map(function (o) { return {label: str(o.label), next: linkOrNull(o.next)}; }) : [],
      field: ["name", "email", "custom"].indexOf(raw.field) >= 0 ? raw.field : "email",
      attribute: str(raw.attribute),
      tagsText: tags.join(", "),
    };
  }

  /* A step as the API takes it (bots/schemas.py): only its type's fields. */
  function toJSON(s) {
    var out = {id: s.id, type: s.type, text: s.text};
    if (s.type === "message") out.next = s.next;
    if (s.type === "options") {
      out.options = s.options.map(function (o) { return {label: o.label, next: o.next}; });
    }
    if (s.type === "collect") {
      out.field = s.field;
      out.attribute = s.field === "custom" && s.attribute.trim() !== "" ? s.attribute.trim() : null;
      out.next = s.next;
    }
    if (s.type === "handoff") out.tags = tagsOf(s);
    return out;
  }

  function tagsOf(s) {
    return s.tagsText.split(",").map(function (t) { return t.trim(); })
      .filter(function (t) { return t !== ""; });
  }

  /* Where a step leads: [{label?, next}] — one link, one per button, none for a final step. */
  function linksOf(s) {
    if (s.type === "options") return s.options.map(function (o) { return {label: o.label, next: o.next}; });
    if (s.type === "message" || s.type === "collect") return [{next: s.next}];
    return [];
  }

  function init() {
    var form = $("bot-editor");
    if (!form) return;
    var ctx = readJSON("be-context") || {};
    var T = readJSON("be-strings") || {};
    var steps = (Array.isArray(ctx.steps) ? ctx.steps : []).filter(function (s) {
      return s && typeof s === "object";
    }).map(fromJSON);
    var problems = Array.isArray(ctx.problems) ? ctx.problems : [];
    var errors = Array.isArray(ctx.errors) ? ctx.errors : [];
    var list = $("be-steps"), dirtyNote = $("be-dirty");
    var typeName = function (type) { return (T.types || {})[type] || type; };

    function byId(id) {
      for (var i = 0; i < steps.length; i++) if (steps[i].id === id) return steps[i];
      return null;
    }

    function newId() {
      var n = steps.length + 1;
      while (byId("step-" + n)) n++;
      return "step-" + n;
    }

    var dirty = false;
    function changed() {
      dirty = true;
      dirtyNote.textContent = T.unsaved;
      refreshLinks();
      preview.stale();
    }

    // -- the cards ----------------------------------------------------------------------------

    function label(text, control, extra) {
      return h("label", {className: extra || ""}, [text, control]);
    }

    /* A select of the steps a link may lead to; a link to a step that is gone stays shown. */
    function stepSelect(current, self, aria, onChange) {
      var select = h("select", {className: "be-target", "aria-label": aria});
      fillStepSelect(select, current, self);
      select.addEventListener("change", function () {
        onChange(linkOrNull(select.value));
        changed();
      });
      return select;
    }

    function fillStepSelect(select, current, self) {
      var choices = [h("option", {value: "", text: T.choose_step})];
      steps.forEach(function (s) {
        if (s.id === self) return;
        choices.push(h("option", {value: s.id, text: fmt(T.step_option, {id: s.id, type: typeName(s.type)})}));
      });
      if (current && !byId(current)) {
        choices.push(h("option", {value: current, text: fmt(T.missing_step, {id: current})}));
      } else if (current && current === self) {
        choices.push(h("option", {value: current, text: fmt(T.step_option, {id: current, type: typeName(byId(current).type)})}));
      }
      select.replaceChildren.apply(select, choices);
      select.value = current || "";
    }

    function moveButton(i, delta, text, aria, focusKey) {
      var target = i + delta;
      return h("button", {type: "button", className: "be-move", "data-focus": focusKey, text: text,
        "aria-label": aria, disabled: target < 0 || target >= steps.length, on: {click: function () {
          var moved = steps.splice(i, 1)[0];
          steps.splice(target, 0, moved);
          changed();
          render({id: moved.id, key: focusKey});
        }}});
    }

    function card(s, i) {
      var problemsHere = problems.filter(function (p) { return p.step === s.id; });
      var errorsHere = errors.filter(function (e) { return e.step === s.id; });
      var head = h("div", {className: "be-step-head"}, [
        h("span", {className: "be-step-n", text: fmt(T.step_n, {n: i + 1})}),
        h("strong", {className: "be-step-type", text: typeName(s.type)}),
        h("code", {className: "be-step-id", text: s.id}),
        i === 0 ? h("span", {className: "badge live be-start", text: T.starts}) : null,
        h("span", {className: "be-step-tools"}, [
          moveButton(i, -1, T.move_up, fmt(T.move_up_label, {id: s.id}), "up"),
          moveButton(i, 1, T.move_down, fmt(T.move_down_label, {id: s.id}), "down"),
          h("button", {type: "button", className: "be-delete", text: T["delete"],
            "aria-label": fmt(T.delete_label, {id: s.id}), on: {click: function () {
              steps.splice(i, 1);
              steps.forEach(function (other) {  // links to it would lead nowhere
                if (other.next === s.id) other.next = null;
                other.options.forEach(function (o) { if (o.next === s.id) o.next = null; });
              });
              changed();
              var after = steps[Math.min(i, steps.length - 1)];
              render(after ? {id: after.id, key: "delete"} : {add: true});
            }}}),
        ]),
      ]);
      var body = [head];
      if (problemsHere.length || errorsHere.length) {
        body.push(h("ul", {className: "be-step-problems"}, problemsHere.map(function (p) {
          return h("li", {className: "be-problem", text: T.saved_problem + " " + str(p.message)});
        }).concat(errorsHere.map(function (e) {
          return h("li", {className: "be-error", text: T.save_error + " " + str(e.field) + ": " + str(e.msg)});
        }))));
      }

      var typeSelect = h("select", {className: "be-type", "data-focus": "type"}, TYPES.map(function (t) {
        return h("option", {value: t, text: typeName(t)});
      }));
      typeSelect.value = s.type;
      typeSelect.addEventListener("change", function () {
        s.type = typeSelect.value;
        if (s.type === "options" && !s.options.length) s.options.push({label: "", next: null});
        changed();
        render({id: s.id, key: "type"});
      });
      body.push(h("div", {className: "be-row"}, [
        label(T.type, typeSelect, "be-type-label"),
        h("p", {className: "hint be-type-hint", text: (T.type_hints || {})[s.type] || ""}),
      ]));

      var text = h("textarea", {className: "be-text", rows: 2, maxlength: 1000, value: s.text, "data-focus": "text"});
      text.addEventListener("input", function () { s.text = text.value; changed(); });
      var final = s.type === "handoff" || s.type === "end";
      body.push(label(final ? T.text_optional : T.text, text));

      if (s.type === "options") body.push(optionsEditor(s));
      if (s.type === "collect") {
        var fieldSelect = h("select", {className: "be-field", "data-focus": "field"}, ["name", "email", "custom"].map(function (f) {
          return h("option", {value: f, text: (T.fields || {})[f] || f});
        }));
        fieldSelect.value = s.field;
        var attribute = h("input", {className: "be-attribute", value: s.attribute, maxlength: 64,
          spellcheck: "false", "data-focus": "attribute"});
        var attributeBox = h("div", {className: "be-attribute-box", hidden: s.field !== "custom"}, [
          label(T.attribute, attribute), h("p", {className: "hint", text: T.attribute_hint})]);
        fieldSelect.addEventListener("change", function () {
          s.field = fieldSelect.value;
          attributeBox.hidden = s.field !== "custom";
          changed();
        });
        attribute.addEventListener("input", function () { s.attribute = attribute.value; changed(); });
        body.push(h("div", {className: "grid2"}, [label(T.asks_for, fieldSelect), attributeBox]));
      }
      if (s.type === "handoff") {
        var tags = h("input", {className: "be-tags", value: s.tagsText, autocomplete: "off", "data-focus": "tags"});
        tags.addEventListener("input", function () { s.tagsText = tags.value; changed(); });
        body.push(label(T.tags, tags), h("p", {className: "hint", text: T.tags_hint}));
      }
      if (s.type === "message" || s.type === "collect") {
        body.push(label(T.next, stepSelect(s.next, s.id, T.next, function (v) { s.next = v; }), "be-next-label"));
      }
      body.push(h("div", {className: "be-links"}, [
        h("ul", {className: "be-out"}), h("p", {className: "be-in"})]));
      var cls = "be-step" + (problemsHere.length ? " has-problem" : "") + (errorsHere.length ? " has-error" : "");
      return h("li", {className: cls, id: "step-" + s.id, "data-step": s.id, tabindex: "-1"}, body);
    }

    function optionsEditor(s) {
      var rows = s.options.map(function (o, k) {
        var input = h("input", {className: "be-option-label", value: o.label, maxlength: 80,
          "aria-label": fmt(T.button_label, {n: k + 1}), "data-focus": "label-" + k});
        input.addEventListener("input", function () { o.label = input.value; changed(); });
        var target = stepSelect(o.next, s.id, fmt(T.button_next, {n: k + 1}), function (v) { o.next = v; });
        target.setAttribute("data-focus", "target-" + k);
        return h("li", {className: "be-option"}, [
          h("span", {className: "be-option-n", text: fmt(T.button_n, {n: k + 1})}),
          input, h("span", {className: "be-arrow", "aria-hidden": "true", text: "→"}), target,
          h("button", {type: "button", className: "be-option-remove", text: "×",
            "aria-label": fmt(T.remove_button, {n: k + 1}), on: {click: function () {
              s.options.splice(k, 1);
              changed();
              render({id: s.id, key: "add-button"});
            }}}),
        ]);
      });
      var add = h("button", {type: "button", className: "be-add-option", "data-focus": "add-button",
        text: T.add_button, disabled: s.options.length >= MAX_OPTIONS, on: {click: function () {
          s.options.push({label: "", next: null});
          changed();
          render({id: s.id, key: "label-" + (s.options.length - 1)});
        }}});
      return h("fieldset", {className: "be-options"}, [
        h("legend", {text: T.buttons}),
        h("ol", {className: "be-option-list"}, rows),
        add,
        s.options.length >= MAX_OPTIONS ? h("p", {className: "hint", text: fmt(T.max_buttons, {n: MAX_OPTIONS})}) : null,
      ]);
    }

    /* The links of every card, and the step choices of every select, as the steps stand. */
    function refreshLinks() {
      var incoming = {};
      steps.forEach(function (s) {
        linksOf(s).forEach(function (l) {
          if (l.next) (incoming[l.next] = incoming[l.next] || []).push(s.id);
        });
      });
      steps.forEach(function (s, i) {
        var node = $("step-" + s.id);
        if (!node) return;
        var out = node.querySelector(".be-out"), into = node.querySelector(".be-in");
        var lines = linksOf(s).map(function (l) {
          var target = l.next ? l.next : T.nowhere;
          var text = s.type === "options"
            ? fmt(T.option_goes_to, {label: l.label.trim() || T.empty_label, step: target})
            : fmt(T.goes_to, {step: target});
          return h("li", {className: l.next && byId(l.next) ? "" : "be-broken", text: text});
        });
        if (s.type === "handoff" || s.type === "end") lines = [h("li", {text: T.ends_here})];
        out.replaceChildren.apply(out, lines);
        var from = (incoming[s.id] || []).filter(function (v, k, all) { return all.indexOf(v) === k; });
        // The first step says "Starts the answer" in its head.
        into.textContent = from.length ? fmt(T.reached_from, {steps: from.join(", ")})
          : (i === 0 ? "" : T.reached_by_none);
        into.classList.toggle("be-broken", !from.length && i !== 0);
      });
    }

    /* Draws every card again; `focus` names the control to put the focus back on. */
    function render(focus) {
      list.replaceChildren.apply(list, steps.map(card));
      if (!steps.length) list.appendChild(h("li", {className: "be-empty hint", text: T.no_steps}));
      refreshLinks();
      $("be-add").disabled = steps.length >= MAX_STEPS;
      if (focus && focus.id) {
        var node = $("step-" + focus.id);
        var target = node && node.querySelector('[data-focus="' + focus.key + '"]');
        if (target && target.disabled) target = node.querySelector(".be-move:not([disabled])");
        (target || node).focus();
      } else if (focus && focus.add) $("be-new-type").focus();
    }

    $("be-add").addEventListener("click", function () {
      if (steps.length >= MAX_STEPS) return;
      var type = $("be-new-type").value;
      var s = fromJSON({id: newId(), type: type});
      if (type === "options") s.options.push({label: "", next: null});
      var last = steps[steps.length - 1];
      if (last && (last.type === "message" || last.type === "collect") && !last.next) last.next = s.id;
      steps.push(s);
      changed();
      render({id: s.id, key: "text"});
    });

    form.addEventListener("submit", function () {
      $("be-steps-field").value = JSON.stringify(steps.map(toJSON));
    });

    // -- jumping to a step (#step-id, from a problem's link) ----------------------------------

    function showTarget() {
      var id;
      try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
      document.querySelectorAll(".be-step.targeted").forEach(function (n) { n.classList.remove("targeted"); });
      if (id.indexOf("step-") !== 0) return;
      var node = $(id);
      if (!node || !node.classList.contains("be-step")) return;
      node.classList.add("targeted");
      node.scrollIntoView({block: "start"});
      node.focus({preventScroll: true});
    }
    window.addEventListener("hashchange", showTarget);

    // -- Try it -------------------------------------------------------------------------------

    var preview = (function () {
      var chat = $("be-chat"), prompt = $("be-prompt"), staleNote = $("be-stale");
      var bot = ctx.bot || {};
      var name = str(bot.name);
      var avatar = $("be-avatar");
      $("be-bot-name").textContent = name;
      if (/^https?:\/\//i.test(str(bot.avatar_url))) {
        avatar.appendChild(h("img", {src: bot.avatar_url, alt: ""}));
      } else avatar.textContent = Array.from(name.trim())[0] || "";
      var running = null;  /* the steps of this try, copied when it started */

      function say(kind, text) {
        chat.appendChild(h("li", {className: "be-msg be-" + kind}, [
          kind === "customer" ? h("span", {className: "visually-hidden", text: T.you + ": "}) : null,
          text,
        ]));
      }

      function find(id) {
        for (var i = 0; i < running.length; i++) if (running[i].id === id) return running[i];
        return null;
      }

      function go(id) {
        prompt.replaceChildren();
        for (var walked = 0; walked <= running.length; walked++) {
          var s = id ? find(id) : null;
          if (!s) { say("note", T.stops); return; }
          if (s.text.trim()) say("bot", s.text);
          if (s.type === "message") { id = s.next; continue; }
          if (s.type === "options") return ask(s);
          if (s.type === "collect") return collect(s);
          if (s.type === "handoff") {
            var tags = tagsOf(s).map(function (t) { return t.toLowerCase(); });
            say("note", tags.length ? fmt(T.handed_off, {tags: tags.join(", ")}) : T.handed_off_no_tags);
          } else say("note", T.ended);
          return;
        }
        say("note", T.loops);
      }

      function ask(s) {
        var buttons = s.options.map(function (o) {
          return h("button", {type: "button", className: "be-choice", text: o.label.trim() || T.empty_label,
            on: {click: function () {
              say("customer", o.label.trim() || T.empty_label);
              go(o.next);
            }}});
        });
        if (!buttons.length) { say("note", T.stops); return; }
        prompt.replaceChildren(h("div", {className: "be-choices", role: "group"}, buttons));
      }

      function collect(s) {
        var what = s.field === "custom" ? (s.attribute.trim() || T.your_answer) : ((T.fields || {})[s.field] || T.your_answer);
        var input = h("input", {type: s.field === "email" ? "email" : "text", className: "be-reply",
          "aria-label": what, autocomplete: "off", maxlength: 500});
        var error = h("p", {className: "be-reply-error", role: "alert"});
        var send = h("button", {type: "submit", text: T.send});
        var box = h("form", {className: "be-reply-form", novalidate: true}, [input, send, error]);
        box.addEventListener("submit", function (ev) {
          ev.preventDefault();
          var value = input.value.trim();
          var problem = !value ? T.required : (s.field === "email" && !EMAIL.test(value) ? T.invalid_email : "");
          error.textContent = problem;
          input.setAttribute("aria-invalid", problem ? "true" : "false");
          if (problem) { input.focus(); return; }
          say("customer", value);
          go(s.next);
        });
        prompt.replaceChildren(box);
      }

      function restart() {
        running = steps.map(function (s) { return fromJSON(toJSON(s)); });
        chat.replaceChildren();
        prompt.replaceChildren();
        staleNote.hidden = true;
        if (!running.length) { say("note", T.try_empty); return; }
        go(running[0].id);
      }

      $("be-restart").addEventListener("click", restart);
      return {
        restart: restart,
        stale: function () {
          if (!running || JSON.stringify(running.map(toJSON)) === JSON.stringify(steps.map(toJSON))) {
            staleNote.hidden = true;
            return;
          }
          staleNote.textContent = T.try_stale;
          staleNote.hidden = false;
        },
      };
    })();

    render();
    preview.restart();
    showTarget();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
