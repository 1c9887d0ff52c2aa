// Study page: keys 1-4 grade, Space/Enter reveal, u undo; grades and actions are sent with
// fetch and the next card replaces the current one without a page reload. Without JS the
// same forms post normally and the server redirects to the next card.
// A card whose demo asks a question shows it first: a-e pick a choice, Enter checks it, Space
// shows without answering; the verdict then comes back in place of the question, with the
// grade it suggests focused, so Enter grades with it.
(function () {
  "use strict";
  var shownAt = Date.now();

  var LETTERS = "abcde";

  function root() { return document.querySelector("[data-study]"); }

  function shownCard(node) {
    var card = node && node.querySelector("article.flashcard");
    return card ? card.getAttribute("data-card") : null;
  }

  // The verdict's figure follows a theme chosen by hand, not only the system's (theme.js).
  function themeFigure(node) {
    if (window.prepdeckTheme) window.prepdeckTheme.syncPictures(node);
  }

  function swap(html, url, redirected) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-study]");
    var current = root();
    if (!fresh || !current) { window.location.href = url; return; }
    var sameCard = shownCard(fresh) !== null && shownCard(fresh) === shownCard(current);
    themeFigure(fresh);
    current.replaceWith(fresh);
    document.title = doc.title;
    // Only a redirect lands on a page of its own; the answer to a question stays on /study.
    if (redirected && url && url !== window.location.href) history.pushState(null, "", url);
    // The review's duration counts from when the card was first shown, its question included.
    if (!sameCard) shownAt = Date.now();
    var target = fresh.querySelector("[data-suggested], [data-quiz-error]") ||
      fresh.querySelector("[data-quiz-verdict], .flashcard__question, .done h2");
    if (target) {
      if (!target.matches("button")) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
    }
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
        return response.text().then(function (text) { swap(text, response.url, response.redirected); });
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

  // The question's keys: a-e pick a choice, Enter on a choice checks it, Space (or Enter away
  // from the form) shows the figure and the answer without answering. True when handled.
  function questionKey(event, question) {
    var target = event.target;
    var onRadio = target instanceof HTMLInputElement && target.type === "radio";
    var inForm = target instanceof Element && question.contains(target);
    if (target instanceof Element && !onRadio && target.closest("input, textarea, select")) return false;
    var key = event.key.toLowerCase();
    if (key.length === 1 && LETTERS.indexOf(key) >= 0) {
      var radio = question.querySelector('input[type=radio][value="' + key + '"]');
      if (!radio) return false;
      radio.checked = true;
      radio.focus();
      return true;
    }
    if (event.key === "Enter" && onRadio) {
      question.requestSubmit(question.querySelector("[data-quiz-check]"));
      return true;
    }
    if ((event.key === " " || event.key === "Enter") && !inForm && !(target instanceof Element && target.closest("a, button, summary"))) {
      question.requestSubmit(question.querySelector("[data-quiz-show]"));
      return true;
    }
    return false;
  }


  document.addEventListener("keydown", function (event) {
    if (!root() || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var question = root().querySelector("form[data-quiz-form]");
    if (question) {
      if (questionKey(event, question)) event.preventDefault();
      if (event.key !== "u") return;
    }
    if (target instanceof Element && target.closest("input, textarea, select")) return;
    var reveal = root().querySelector("[data-reveal]");
    if ((event.key === " " || event.key === "Enter") && reveal && !(target instanceof Element && target.closest("a, button, summary"))) {
      event.preventDefault();
      var suggested = root().querySelector("[data-suggested]");
      if (event.key === "Enter" && reveal.open && suggested) { suggested.click(); return; }
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
