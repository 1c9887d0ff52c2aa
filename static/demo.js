// Live demo on a card page: moving a control redraws the figure (debounced) without a page
// reload and keeps the URL shareable (it names every parameter). Loading the page changes
// nothing: the server's <picture> already offers each layout, theme and density, and theme.js
// follows a theme chosen by hand. A value the API refuses is named beside its field and the
// last good figure stays. Without JS the controls are a plain GET form that reloads the page.
(function () {
  "use strict";
  var DELAY = 180;  // ms after the last move of a control before the figure is redrawn
  var SLOW = 100;  // ms of waiting for a figure before it shows that it is being drawn
  var EXTRAS = /^(theme|layout|scale)=/;  // what an image URL adds to the demo's parameters

  // The URL of another figure: the same path, the new parameters, then the URL's own theme,
  // layout and scale, in the order the server wrote them (so each figure is one URL).
  function rebase(url, q) {
    var at = url.indexOf("?");
    var path = at < 0 ? url : url.slice(0, at);
    var extras = at < 0 ? [] : url.slice(at + 1).split("&").filter(function (part) { return EXTRAS.test(part); });
    return path + "?" + q + (extras.length ? "&" + extras.join("&") : "");
  }

  function rebaseSet(srcset, q) {
    return srcset.split(",").map(function (candidate) {
      var parts = candidate.trim().split(/\s+/);
      parts[0] = rebase(parts[0], q);
      return parts.join(" ");
    }).join(", ");
  }

  function setup(section) {
    var form = section.querySelector("[data-demo-form]");
    var figure = section.querySelector("[data-demo-figure]");
    var image = section.querySelector("[data-demo-image]");
    var summary = section.querySelector("[data-demo-summary]");
    // The page fills in the API's URLs (app/urls.py), so this script names no path itself.
    var dataUrl = section.getAttribute("data-data-url");
    if (!form || !figure || !image || !summary || !dataUrl) return;
    var sources = Array.prototype.slice.call(section.querySelectorAll("[data-demo-source]"));
    var shown = query(image.getAttribute("src"));
    var timer = null;
    var slow = null;
    var ticket = 0;
    var words = null;  // the data (summary, lead, details) of the figure being loaded, shown once it is

    var drawing = document.createElement("span");
    drawing.className = "demo__drawing";
    drawing.setAttribute("aria-hidden", "true");
    drawing.textContent = "Drawing…";
    figure.insertBefore(drawing, summary);

    // The form's values, in the order of the parameters in the page's image URL.
    function query(url) {
      var values = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { values.set(key, String(value)); });
      var order = [];
      if (url) {
        new URLSearchParams(url.split("?")[1] || "").forEach(function (value, key) {
          if (!EXTRAS.test(key + "=") && values.has(key)) order.push(key);
        });
      } else {
        order = shown.split("&").map(function (part) { return decodeURIComponent(part.split("=")[0]); });
      }
      values.forEach(function (value, key) { if (order.indexOf(key) < 0) order.push(key); });
      return order.map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(values.get(key) || "");
      }).join("&");
    }

    function busy(on) {
      clearTimeout(slow);
      if (on) slow = setTimeout(function () { figure.classList.add("demo__figure--drawing"); }, SLOW);
      else figure.classList.remove("demo__figure--drawing");
    }

    function clearErrors() {
      form.querySelectorAll("[data-demo-error]").forEach(function (error) {
        var field = form.querySelector('[aria-describedby~="' + error.id + '"]');
        if (field) {
          field.removeAttribute("aria-invalid");
          var rest = field.getAttribute("aria-describedby").split(" ").filter(function (id) { return id && id !== error.id; });
          if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
          else field.removeAttribute("aria-describedby");
        }
        error.remove();
      });
    }

    // Each error the API names goes beside its field; one it cannot place goes after the controls.
    function showErrors(errors) {
      clearErrors();
      errors.forEach(function (error, index) {
        var name = Array.isArray(error.loc) ? String(error.loc[error.loc.length - 1]) : "";
        var field = name && form.elements.namedItem(name);
        var message = document.createElement("p");
        message.className = "demo__error";
        message.id = "demo-error-" + index;
        message.setAttribute("role", "alert");
        message.setAttribute("data-demo-error", "");
        message.textContent = String(error.msg || error);
        if (field instanceof Element) {
          var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          described.push(message.id);
          field.setAttribute("aria-describedby", described.join(" "));
          field.setAttribute("aria-invalid", "true");
          field.closest(".demo__control").append(message);
        } else {
          form.querySelector(".demo__actions").before(message);
        }
      });
    }

    function show(q, body) {
      section.querySelector("[data-demo-share]").href = form.getAttribute("action").split("#")[0] + "?" + q + "#demo";
      var svg = section.querySelector("[data-demo-svg]");
      svg.href = rebase(svg.getAttribute("href"), q);
      section.querySelector("[data-demo-data]").href = dataUrl + "?" + q;
      // A parameter the reader changed is the one thing that changes the address.
      history.replaceState(null, "", window.location.pathname + "?" + q + "#demo");
      if (q === shown) {  // the figure already shown: no load event will come
        busy(false);
        return;
      }
      shown = q;
      words = body;
      // All in one task, so the browser picks and fetches one figure for them together.
      sources.forEach(function (source) { source.srcset = rebaseSet(source.getAttribute("srcset"), q); });
      image.srcset = rebaseSet(image.getAttribute("srcset"), q);
      image.src = rebase(image.getAttribute("src"), q);
    }

    // The numbers first: a value out of range is named beside its field, and the figure (a
    // broken image otherwise) stays the last good one.
    function draw() {
      var q = query();
      var mine = ++ticket;
      busy(true);
      fetch(dataUrl + "?" + q, { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
        })
        .then(function (result) {
          if (mine !== ticket) return;
          if (result.ok) {
            clearErrors();
            show(q, result.body);
            return;
          }
          busy(false);
          var detail = result.body && result.body.detail;
          if (Array.isArray(detail)) showErrors(detail);
          else showErrors([{ msg: typeof detail === "string" ? detail : "The figure could not be drawn (" + result.status + "); try again." }]);
        })
        .catch(function () {
          if (mine !== ticket) return;
          clearErrors();
          show(q, null);  // no numbers (offline?): the figure may still come
        });
    }

    // A busy server answers a new figure with 429 and Retry-After; an <img> cannot read
    // the header, so ask for the same figure again a few times, a little later each time.
    var retries = 0;
    image.addEventListener("load", function () {
      retries = 0;
      busy(false);
      if (words !== null) {
        // The caption leads with one short sentence, set apart from the details after it.
        var lead = summary.querySelector("[data-demo-lead]");
        var details = summary.querySelector("[data-demo-details]");
        if (lead && details) {
          lead.textContent = words.lead;
          details.textContent = words.details;
        } else {
          summary.textContent = words.summary;
        }
        image.alt = words.summary;
        words = null;
      }
    });
    image.addEventListener("error", function () {
      var failed = shown;
      if (retries >= 5) { busy(false); return; }
      retries += 1;
      setTimeout(function () {
        if (shown !== failed) return;
        sources.forEach(function (source) { source.setAttribute("srcset", source.getAttribute("srcset")); });
        image.setAttribute("srcset", image.getAttribute("srcset"));
      }, 1000 * retries);
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
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-demo]").forEach(setup);
  });
})();
