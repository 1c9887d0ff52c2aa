// Live demo on a card page: moving a control asks for the new figure at once, without a page
// reload, and keeps the URL shareable (it names every parameter). One figure loads at a time:
// moves made while it loads are gathered into one request for the latest values, and a request
// for numbers that a newer move has made stale is aborted. Once a slider's figure has come, its
// neighbouring steps are drawn ahead on the server (prefetch=1, lowest priority), so the next
// step is a cached figure. Loading the page changes nothing: the server's <picture> already
// offers each layout, theme and density, and theme.js follows a theme chosen by hand. A value
// the API refuses is named beside its field and the last good figure stays. Without JS the
// controls are a plain GET form that reloads the page.
(function () {
  "use strict";
  var SLOW = 100;  // ms of waiting for a figure before it shows that it is being drawn
  var NEIGHBOURS = 2;  // steps drawn ahead after a slider moved: one each side
  var NUMBERS_AFTER = 60;  // ms the numbers of a new figure wait for it, unless it comes sooner
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
    var slow = null;
    var asking = null;  // the AbortController of the numbers being fetched
    var waiting = null;  // the query whose numbers wait for its figure
    var later = null;  // the timer of those numbers
    var loading = false;  // a figure is on its way: further moves wait for it
    var again = false;  // a control moved while the figure loaded
    var moved = null;  // the slider the reader moved last, whose neighbours are drawn ahead
    var words = {};  // the data (summary, lead, details) of one figure: its query, and body

    var drawing = document.createElement("span");
    drawing.className = "demo__drawing";
    drawing.setAttribute("aria-hidden", "true");
    drawing.textContent = "Drawing…";
    figure.insertBefore(drawing, summary);

    // The form's values (one of them replaced, if name is given), in the order of the
    // parameters in the page's image URL.
    function query(url, name, value) {
      var values = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { values.set(key, String(value)); });
      if (name) values.set(name, value);
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

    // The figure, the links and the address follow q.
    function show(q) {
      section.querySelector("[data-demo-share]").href = form.getAttribute("action").split("#")[0] + "?" + q + "#demo";
      var svg = section.querySelector("[data-demo-svg]");
      svg.href = rebase(svg.getAttribute("href"), q);
      section.querySelector("[data-demo-data]").href = dataUrl + "?" + q;
      // A parameter the reader changed is the one thing that changes the address.
      history.replaceState(null, "", window.location.pathname + "?" + q + "#demo");
      if (q === shown) {  // the figure already shown: no load event will come
        settled();
        return;
      }
      shown = q;
      loading = true;
      // All in one task, so the browser picks and fetches one figure for them together.
      sources.forEach(function (source) { source.srcset = rebaseSet(source.getAttribute("srcset"), q); });
      image.srcset = rebaseSet(image.getAttribute("srcset"), q);
      image.src = rebase(image.getAttribute("src"), q);
    }

    // Once the figure and its numbers have both come, the caption follows and the figure stops
    // showing that it is being drawn.
    function finish() {
      if (loading) return;
      if (words.q === shown && !words.body && (asking || waiting !== null)) return;  // its numbers are on their way
      var body = words.q === shown ? words.body : null;
      words = {};
      busy(false);
      if (!body) return;
      // The caption leads with one short sentence, set apart from the details after it.
      var lead = summary.querySelector("[data-demo-lead]");
      var details = summary.querySelector("[data-demo-details]");
      if (lead && details) {
        lead.textContent = body.lead;
        details.textContent = body.details;
      } else {
        summary.textContent = body.summary;
      }
      image.alt = body.summary;
    }

    // Nothing is on its way any more: ask for what the controls say now, if they moved.
    function settled() {
      loading = false;
      if (again) {
        again = false;
        if (query() !== shown) { draw(); return; }
      }
      numbers();
      finish();
    }

    // The figure and its numbers are asked for together when the browser finds every value in
    // its range; otherwise the numbers first, so that a value out of range is named beside its
    // field and the figure (a broken image otherwise) stays the last good one.
    function draw() {
      if (loading) { again = true; return; }
      var q = query();
      busy(true);
      words = { q: q };
      clearTimeout(later);
      waiting = null;
      if (!form.checkValidity()) { ask(q, false); return; }
      // The numbers wait a moment for the figure: one the server has already drawn comes at
      // once, and computing them meanwhile would only hold it up.
      waiting = q;
      later = setTimeout(numbers, NUMBERS_AFTER);
      show(q);
    }

    // Ask for the numbers that wait for their figure, now.
    function numbers() {
      clearTimeout(later);
      if (waiting === null) return;
      var q = waiting;
      waiting = null;
      ask(q, true);
    }

    // Fetch the numbers of q; valid: its figure is asked for already, else only once they come.
    function ask(q, valid) {
      if (asking) asking.abort();  // numbers for values the reader has moved past
      var mine = asking = new AbortController();
      fetch(dataUrl + "?" + q, { headers: { Accept: "application/json" }, signal: mine.signal })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
        })
        .then(function (result) {
          if (mine !== asking) return;
          asking = null;
          if (result.ok) {
            clearErrors();
            if (words.q === q) words.body = result.body;
            if (valid) finish(); else show(q);
            return;
          }
          if (!loading) busy(false);
          var detail = result.body && result.body.detail;
          if (Array.isArray(detail)) showErrors(detail);
          else showErrors([{ msg: typeof detail === "string" ? detail : "The figure could not be drawn (" + result.status + "); try again." }]);
        })
        .catch(function () {
          if (mine !== asking) return;  // aborted: a newer request took over
          asking = null;
          clearErrors();
          if (valid) finish(); else show(q);  // no numbers (offline?): the figure may still come
        });
    }

    // The steps either side of the slider just moved, drawn on the server ahead of the reader,
    // at its lowest priority: it answers at once, and refuses when it is busy.
    function prefetch() {
      var slider = moved;
      moved = null;
      if (!slider || loading || again || !image.currentSrc) return;
      var base = image.currentSrc;
      var wanted = [];
      ["stepUp", "stepDown"].forEach(function (step) {
        var probe = slider.cloneNode();
        probe.value = slider.value;
        probe[step]();
        if (probe.value !== slider.value && wanted.length < NEIGHBOURS) wanted.push(probe.value);
      });
      var idle = window.requestIdleCallback || function (callback) { return setTimeout(callback, 0); };
      idle(function () {
        wanted.forEach(function (value) {
          var url = rebase(base, query(base, slider.name, value)) + "&prefetch=1";
          fetch(url, { priority: "low" }).catch(function () {});
        });
      }, { timeout: 500 });  // idle time, or half a second at most
    }

    // A busy server answers a new figure with 429 and Retry-After; an <img> cannot read
    // the header, so ask for the same figure again a few times, a little later each time.
    var retries = 0;
    image.addEventListener("load", function () {
      retries = 0;
      settled();
      prefetch();
    });
    image.addEventListener("error", function () {
      var failed = shown;
      if (retries >= 5) { settled(); return; }
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
        moved = target.type === "range" ? target : null;
      }
      draw();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); draw(); });
    section.querySelector("[data-demo-apply]").hidden = true;  // changes apply by themselves
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-demo]").forEach(setup);
  });
})();
