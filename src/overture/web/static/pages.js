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

  // <select data-submit-on-change>: choosing is sending (the language menu), back to the
  // same place on the page (the agent's open ticket is in the address's #fragment, which
  // the server never sees).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      var next = field.form.elements.namedItem("next");
      if (next && location.hash && next.value.indexOf("#") < 0) next.value += location.hash;
      field.form.submit();
    }
  });
})();
