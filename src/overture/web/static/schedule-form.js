// The schedule form: rows of weekly hours and holidays added and removed in place, and the
// browser's own time zone offered for a new schedule.
//
// Without JavaScript the form still works: the page comes with spare empty rows, which the
// server ignores. With it, the empty rows go, and "Add hours" / "Add a holiday" make new ones.
(function () {
  "use strict";

  var words = {};
  var status = null;

  function fmt(text, n) { return String(text || "").replace("{n}", String(n)); }

  function isEmpty(row) {
    var fields = row.querySelectorAll("input");
    for (var i = 0; i < fields.length; i++) if (fields[i].value.trim()) return false;
    return fields.length > 0;
  }

  function renumber(body) {
    var rows = body.querySelectorAll(":scope > tr");
    rows.forEach(function (row, index) {
      var button = row.querySelector("button[data-remove-row]");
      if (button) button.setAttribute("aria-label", fmt(words[body.dataset.removeLabel], index + 1));
    });
    var empty = document.getElementById(body.id + "-empty");
    if (empty) empty.hidden = rows.length > 0;
  }

  function say(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function remove(row) {
    var body = row.parentNode;
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber(body);
    say(words.removed);
    var focus = next ? next.querySelector("button[data-remove-row]")
                     : document.querySelector('button[data-target="' + body.id + '"]');
    if (focus) focus.focus();
  }

  function add(button) {
    var template = document.getElementById(button.dataset.addRow);
    var body = document.getElementById(button.dataset.target);
    if (!template || !body) return;
    var last = body.querySelector(":scope > tr:last-child");
    body.appendChild(template.content.cloneNode(true));
    var row = body.querySelector(":scope > tr:last-child");
    // Weekly hours: the day after the last row's, at the same times (Monday to Friday, say,
    // is typed once and added four times).
    var day = row.querySelector("select[name='weekday[]']");
    if (day && last) {
      var before = last.querySelector("select[name='weekday[]']");
      var start = last.querySelector("input[name='start[]']");
      var end = last.querySelector("input[name='end[]']");
      if (before && start && end && start.value && end.value) {
        day.value = String((Number(before.value) + 1) % 7);
        row.querySelector("input[name='start[]']").value = start.value;
        row.querySelector("input[name='end[]']").value = end.value;
      }
    }
    row.querySelectorAll("button[data-remove-row]").forEach(function (b) { b.hidden = false; });
    renumber(body);
    var first = row.querySelector("input, select");
    if (first) first.focus();
  }

  function guessZone() {
    var select = document.getElementById("timezone");
    if (!select || select.value || select.dataset.new !== "true") return;
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { select.value = zone; return; }
    }
  }

  function start() {
    var data = document.getElementById("schedule-words");
    if (data) words = JSON.parse(data.textContent);
    status = document.getElementById("rows-status");
    document.querySelectorAll("tbody[data-remove-label]").forEach(function (body) {
      body.querySelectorAll(":scope > tr").forEach(function (row) {
        if (isEmpty(row)) row.remove();
      });
      body.querySelectorAll("button[data-remove-row]").forEach(function (b) { b.hidden = false; });
      renumber(body);
      body.addEventListener("click", function (event) {
        var button = event.target.closest && event.target.closest("button[data-remove-row]");
        if (button) remove(button.closest("tr"));
      });
    });
    document.querySelectorAll("button[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { add(button); });
    });
    guessZone();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
