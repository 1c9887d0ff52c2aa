// Study page: keys 1-4 grade, Space/Enter reveal, u undo; grades and actions are sent with
// fetch and the next card replaces the current one without a page reload. Without JS the
// same forms post normally and the server redirects to the next card.
(function () {
  "use strict";
  var shownAt = Date.now();

  function root() { return document.querySelector("[data-study]"); }

  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-study]");
    var current = root();
    if (!fresh || !current) { window.location.href = url; return; }
    current.replaceWith(fresh);
    document.title = doc.title;
    if (url && url !== window.location.href) history.pushState(null, "", url);
    shownAt = Date.now();
    var heading = fresh.querySelector(".flashcard__question, .done h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: false }); }
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    var duration = form.querySelector("[data-duration]");
    if (duration) data.set("duration_ms", String(Math.min(Date.now() - shownAt, 86400000)));
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) { swap(text, response.url); });
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        form.submit();  // the network failed: fall back to a normal post
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !root() || !root().contains(form)) return;
    if (form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    send(form, event.submitter);
  });

  window.addEventListener("popstate", function () { window.location.reload(); });

  document.addEventListener("keydown", function (event) {
    if (!root() || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select")) return;
    var reveal = root().querySelector("[data-reveal]");
    if ((event.key === " " || event.key === "Enter") && reveal && !(target instanceof Element && target.closest("a, button, summary"))) {
      event.preventDefault();
      reveal.open = true;
      return;
    }
    if (/^[1-4]$/.test(event.key) && reveal && reveal.open) {
      var button = root().querySelector('[data-grade="' + event.key + '"]');
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    if (event.key === "u") {
      var undo = root().querySelector("[data-undo]");
      if (undo) { event.preventDefault(); undo.click(); }
    }
  });
})();
