// Live demo on a card page: moving a control redraws the figure (debounced) without a page
// reload, keeps the URL shareable (it names every parameter), and follows the theme.
// Without JS the controls are a plain GET form that reloads the page with the new figure.
(function () {
  "use strict";
  var DELAY = 180;

  function theme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setup(section) {
    var form = section.querySelector("[data-demo-form]");
    var image = section.querySelector("[data-demo-image]");
    var source = section.querySelector("[data-demo-source]");
    var summary = section.querySelector("[data-demo-summary]");
    // The page fills in the API's URLs (app/urls.py), so this script names no path itself.
    var pngUrl = section.getAttribute("data-png-url");
    var svgUrl = section.getAttribute("data-svg-url");
    var dataUrl = section.getAttribute("data-data-url");
    if (!form || !image || !pngUrl) return;
    if (source) source.remove();  // JS picks the theme itself, also when chosen by hand
    var timer = null;
    var latest = 0;

    function query() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { params.set(key, String(value)); });
      return params.toString();
    }

    function draw() {
      var q = query();
      var ticket = ++latest;
      image.src = pngUrl + "?" + q + "&theme=" + theme();
      section.querySelector("[data-demo-share]").href = form.getAttribute("action").split("#")[0] + "?" + q + "#demo";
      section.querySelector("[data-demo-svg]").href = svgUrl + "?" + q + "&theme=" + theme();
      section.querySelector("[data-demo-data]").href = dataUrl + "?" + q;
      history.replaceState(null, "", window.location.pathname + "?" + q + "#demo");
      fetch(dataUrl + "?" + q)
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || ticket !== latest) return;
          summary.textContent = body.summary;
          image.alt = body.summary;
        })
        .catch(function () { /* the image still updates */ });
    }

    // A busy server answers a new figure with 429 and Retry-After; an <img> cannot read
    // the header, so try the same figure again a few times, a little later each time.
    var retries = 0;
    image.addEventListener("load", function () { retries = 0; });
    image.addEventListener("error", function () {
      var failed = image.src;
      if (retries >= 5) return;
      retries += 1;
      setTimeout(function () { if (image.src === failed) image.src = failed; }, 1000 * retries);
    });

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target && target.name) {
        var output = form.querySelector('[data-output="' + target.name + '"]');
        if (output) output.textContent = target.value;
      }
      clearTimeout(timer);
      timer = setTimeout(draw, DELAY);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); draw(); });
    section.querySelector("[data-demo-apply]").hidden = true;  // changes apply by themselves
    document.addEventListener("click", function (event) {
      if (event.target instanceof Element && event.target.closest("[data-theme-toggle]")) {
        setTimeout(draw, 0);
      }
    });
    if (theme() === "dark") draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-demo]").forEach(setup);
  });
})();
