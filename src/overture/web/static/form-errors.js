/* Overture — a refused form marks its fields.
 *
 * The page lists the errors above the form (templates/admin/_errors.html: one <li> per error,
 * "Label: message", with the field's path and, for a row of a table or a line of a textarea,
 * its number). This marks each field of the form that follows the list: aria-invalid="true",
 * the message beside the field (aria-describedby), and focus on the first one. A path that names no input (a rule
 * about the whole form) stays in the list only.
 */
(function () {
  "use strict";
  if (window.OvertureFormErrors) return;  // the list may be included more than once
  window.OvertureFormErrors = true;

  var FIELDS = "input:not([type=hidden]), select, textarea";

  function byName(form, name) {
    var found = [];
    form.querySelectorAll(FIELDS).forEach(function (el) {
      if (el.name === name) found.push(el);
    });
    return found;
  }

  /* The row of a table form: a <tbody data-rows="intervals">, or by the usual id
     (intervals → #interval-rows, holidays → #holiday-rows). */
  function rowsOf(form, head) {
    return form.querySelector('[data-rows="' + head + '"]')
      || document.getElementById(head.replace(/s$/, "") + "-rows");
  }

  function fieldsFor(form, path, row) {
    var parts = path.split(".");
    var head = parts[0];
    if (row) {
      var n = parseInt(row, 10);
      var column = parts.length > 2 && !/^\d+$/.test(parts[parts.length - 1]) ? parts[parts.length - 1] : "";
      var body = rowsOf(form, head);
      if (body && body.rows && body.rows[n - 1]) {
        var cells = Array.prototype.slice.call(body.rows[n - 1].querySelectorAll(FIELDS));
        if (!column) return cells;
        var named = cells.filter(function (el) { return (el.name || "").slice(-(column.length + 2)) === column + "[]"; });
        if (named.length) return named;
        return cells;
      }
      if (column) {
        var all = [];
        form.querySelectorAll(FIELDS).forEach(function (el) {
          if ((el.name || "").slice(-(column.length + 2)) === column + "[]") all.push(el);
        });
        if (all[n - 1]) return [all[n - 1]];
      }
    }
    var exact = byName(form, path);
    if (exact.length) return exact.slice(0, 1);
    var whole = byName(form, head);
    return whole.slice(0, 1);
  }

  function describe(el, id) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) ids.unshift(id);
    el.setAttribute("aria-describedby", ids.join(" "));
  }

  /* The message goes right after the field's label (or the field), inside a table cell when
     the field is in one. */
  function place(note, el) {
    var label = el.closest("label");
    var cell = el.closest("td");
    if (cell) cell.appendChild(note);
    else if (label) label.insertAdjacentElement("afterend", note);
    else el.insertAdjacentElement("afterend", note);
  }

  /* An item says "<strong>Label</strong>: message"; beside the field, the message alone. */
  function message(item) {
    var copy = item.cloneNode(true);
    var label = copy.querySelector("strong");
    if (label) label.remove();
    return copy.textContent.replace(/^\s*:\s*/, "").trim();
  }

  function mark() {
    var marked = [];
    document.querySelectorAll("[data-form-errors]").forEach(function (box, b) {
      var form = box.nextElementSibling;
      while (form && form.tagName === "SCRIPT") form = form.nextElementSibling;
      if (!form || form.tagName !== "FORM") return;
      box.querySelectorAll("li[data-path]").forEach(function (item, i) {
        var fields = fieldsFor(form, item.getAttribute("data-path"), item.getAttribute("data-row"));
        if (!fields.length) return;
        var id = "field-error-" + b + "-" + i;
        var note = document.createElement("p");
        note.className = "field-error";
        note.id = id;
        note.textContent = message(item);
        fields.forEach(function (el) {
          el.setAttribute("aria-invalid", "true");
          describe(el, id);
          marked.push(el);
        });
        place(note, fields[fields.length - 1]);
      });
    });
    marked.sort(function (a, b) {
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    if (marked.length) marked[0].focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
})();
