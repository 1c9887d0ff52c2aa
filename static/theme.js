// Apply the reader's chosen theme before the page paints; without a choice the
// system setting (prefers-color-scheme) decides, and without JS the CSS alone does.
(function () {
  "use strict";
  var KEY = "prepdeck-theme";
  var root = document.documentElement;
  // Hints of keyboard shortcuts that need JavaScript show only where it runs (.js-only).
  root.classList.add("js");
  var saved = null;
  try { saved = localStorage.getItem(KEY); } catch (e) { /* storage may be blocked */ }
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);

  function current() {
    var chosen = root.getAttribute("data-theme");
    if (chosen) return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* keep it for this page only */ }
    });
  });
})();
