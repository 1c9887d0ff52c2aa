// Keyboard shortcuts on card pages: Space/Enter reveal, arrows move, Esc goes to the deck.
// Every shortcut has a plain link or <details> behind it, so the page works without JS.
(function () {
  "use strict";

  function typing(target) {
    if (!(target instanceof Element)) return false;
    return target.closest("input, textarea, select, [contenteditable='true']") !== null;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.href = link.href;
  }

  // Ctrl+Enter (Cmd+Enter on a Mac) in a textarea marked data-ctrl-enter sends its form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!(target instanceof HTMLTextAreaElement) || !target.hasAttribute("data-ctrl-enter")) return;
    if (!target.form) return;
    event.preventDefault();
    var submit = target.form.querySelector("[data-ctrl-enter-submit]");
    target.form.requestSubmit(submit || undefined);
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) return;
    if (!document.body.classList.contains("page-card")) return;
    var reveal = document.querySelector("[data-reveal]");
    if (!reveal) return;
    var onSummary = event.target instanceof Element && event.target.closest("summary");
    // In a formula box that has the focus, the arrow keys scroll the formula.
    var inFormula = event.target instanceof Element && event.target.closest(".formula");
    if (inFormula && (event.key === "ArrowLeft" || event.key === "ArrowRight")) return;
    switch (event.key) {
      case " ":
      case "Enter":
        if (onSummary || (event.target instanceof Element && event.target.closest("a, button"))) return;
        event.preventDefault();
        reveal.open = !reveal.open;
        if (reveal.open) reveal.querySelector("summary").focus();
        break;
      case "ArrowLeft":
        follow("[data-key-prev]");
        break;
      case "ArrowRight":
        follow("[data-key-next]");
        break;
      case "Escape": {
        var crumbs = document.querySelectorAll(".breadcrumbs a");
        if (crumbs.length) window.location.href = crumbs[crumbs.length - 1].href;
        break;
      }
    }
  });
})();
