// Small behaviours every page may use, in a file rather than inline: the pages' Content
// Security Policy runs no inline script.
(function () {
  "use strict";

  // <form data-confirm="…">: ask before the form is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <select data-submit-on-change>: choosing is sending (the language menu).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.submit();
    }
  });

  // <button class="add-row" data-template="…" data-target="…">: one more row of a table form.
  // Optional: without JavaScript the spare rows already on the page are enough.
  function addRows() {
    document.querySelectorAll("button.add-row").forEach(function (button) {
      var template = document.getElementById(button.dataset.template);
      var target = document.getElementById(button.dataset.target);
      if (!template || !target) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        target.appendChild(template.content.cloneNode(true));
        var inputs = target.lastElementChild.querySelectorAll("input, select");
        if (inputs.length) inputs[0].focus();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addRows);
  else addRows();
})();
