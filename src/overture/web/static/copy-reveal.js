// Copy buttons and secrets kept hidden until asked for, on the admin and account pages.
//
// <button data-copy="ID" data-copied="…" data-copy-failed="…" hidden>: copies the text of the
// element #ID. The clipboard API first; where it is missing or refused, the text is selected
// and copied the old way, or left selected for Ctrl+C. What happened is said in the
// `.copy-status` element beside the button (aria-live), in the page's language.
//
// <form data-reveal="ID" data-mask="ID" data-hide-label="…" method="post">: the secret is
// not in the page until asked for. Sending the form fetches it as JSON (a POST with the CSRF
// token) and shows it in #ID; the same button then hides it again, and takes it out of the page.
// Without JavaScript the form is simply sent, and the page comes back with the secret shown.
(function () {
  "use strict";

  function say(button, text) {
    var status = button.parentNode && button.parentNode.querySelector(".copy-status");
    if (!status) return;
    status.textContent = "";
    // A new text node a moment later, so that saying the same words twice is heard twice.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function select(node) {
    if (node.select) { node.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyByHand(button, node) {
    select(node);
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    say(button, done ? button.dataset.copied : button.dataset.copyFailed);
  }

  function copy(button) {
    var node = document.getElementById(button.dataset.copy);
    if (!node) return;
    var text = node.value !== undefined ? node.value : node.textContent;
    var clipboard = window.isSecureContext && navigator.clipboard;
    if (!clipboard || !clipboard.writeText) { copyByHand(button, node); return; }
    clipboard.writeText(text).then(function () {
      select(node);  // shows what was copied
      say(button, button.dataset.copied);
    }, function () { copyByHand(button, node); });
  }

  function copyButtonsFor(id) {
    return document.querySelectorAll('button[data-copy="' + id + '"]');
  }

  function setUpCopy(button) {
    var node = document.getElementById(button.dataset.copy);
    button.hidden = !node || node.hidden;  // a hidden secret's button shows once it does
    button.addEventListener("click", function () { copy(button); });
  }

  function setUpReveal(form) {
    var target = document.getElementById(form.dataset.reveal);
    var mask = document.getElementById(form.dataset.mask);
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (!target || !button) return;
    var revealLabel = button.textContent;
    var shown = false;

    function show(secret) {
      target.textContent = secret;
      target.hidden = false;
      if (mask) mask.hidden = true;
      button.textContent = form.dataset.hideLabel;
      button.setAttribute("aria-expanded", "true");
      copyButtonsFor(target.id).forEach(function (b) { b.hidden = false; });
      shown = true;
    }

    function hide() {
      target.textContent = "";
      target.hidden = true;
      if (mask) mask.hidden = false;
      button.textContent = revealLabel;
      button.setAttribute("aria-expanded", "false");
      copyButtonsFor(target.id).forEach(function (b) { b.hidden = true; });
      var status = form.parentNode.querySelector(".copy-status");
      if (status) status.textContent = "";
      shown = false;
    }

    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", target.id);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (shown) { hide(); return; }
      var token = form.querySelector("input[name=csrf_token]");
      button.disabled = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": token ? token.value : "" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (body) {
        button.disabled = false;
        show(String(body.secret));
      }).catch(function () {
        button.disabled = false;
        form.submit();  // the page itself says what went wrong (signed out, say)
      });
    });
  }

  function start() {
    document.querySelectorAll("button[data-copy]").forEach(setUpCopy);
    document.querySelectorAll("form[data-reveal]").forEach(setUpReveal);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
