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

  // A figure's <picture> (templates/_figure.html) picks its dark source by the system's
  // prefers-color-scheme; a theme chosen by hand overrides it, so each themed source's media is
  // rewritten to match. Only a source whose media changes is touched, so a figure the browser
  // already picked is not fetched again. Pages call it on what they insert, too.
  function syncPictures(scope) {
    var chosen = root.getAttribute("data-theme");
    var system = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    var sources = (scope || document).querySelectorAll("[data-themed-picture] source[data-theme-source]");
    Array.prototype.forEach.call(sources, function (source) {
      if (!source.hasAttribute("data-media")) source.setAttribute("data-media", source.getAttribute("media") || "all");
      var media = source.getAttribute("data-media");
      if (chosen && chosen !== system) {
        media = source.getAttribute("data-theme-source") === chosen ? source.getAttribute("data-width-media") || "all" : "not all";
      }
      if (source.getAttribute("media") !== media) source.setAttribute("media", media);
    });
  }
  window.prepdeckTheme = { current: current, syncPictures: syncPictures };

  document.addEventListener("DOMContentLoaded", function () {
    syncPictures(document);
    var system = window.matchMedia("(prefers-color-scheme: dark)");
    if (system.addEventListener) system.addEventListener("change", function () { syncPictures(document); });
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* keep it for this page only */ }
      syncPictures(document);
    });
  });
})();
