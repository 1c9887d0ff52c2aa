// Predict first on a card page: the answer goes to the JSON API and the verdict, with the true
// figure, replaces the question without a page reload; "Another question" fetches a new one.
// Keys a-e pick a choice and Enter checks it. Without JS the same forms post to the page route.
(function () {
  "use strict";
  var LETTERS = "abcde";
  var MAX_SEED = 2147483647;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] === true) node.setAttribute(name, "");
      else if (attrs[name] !== false && attrs[name] != null) node.setAttribute(name, String(attrs[name]));
    });
    (children || []).forEach(function (child) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(value) {
    return String(Number(value.toPrecision(6)));
  }

  function errorText(body, fallback) {
    if (body && Array.isArray(body.detail) && body.detail.length) {
      return body.detail.map(function (error) { return error.msg; }).join("; ");
    }
    if (body && typeof body.detail === "string") return body.detail;
    return fallback;
  }

  function setup(section) {
    var body = section.querySelector("[data-quiz-body]");
    var apiUrl = section.getAttribute("data-api-url");
    var dataUrl = section.getAttribute("data-data-url");
    var cardUrl = section.getAttribute("data-card-url");
    if (!body || !apiUrl) return;
    var answerUrl = section.getAttribute("data-answer-url");
    // A logged-in reader's answers are kept: each question carries an attempt id, so that
    // sending the same answer again stores it once, and the time taken counts from its showing.
    var saves = section.hasAttribute("data-saves");
    var shownAt = Date.now();

    function form() { return body.querySelector("[data-quiz-form]"); }

    function showError(message) {
      var target = form();
      if (!target) return;
      var alert = target.querySelector("[data-quiz-error]");
      if (!alert) {
        alert = el("p", { class: "alert alert--error", role: "alert", id: "quiz-error", "data-quiz-error": true });
        target.insertBefore(alert, target.firstElementChild.nextSibling);
      }
      alert.textContent = message;
    }

    function busy(on) {
      var target = form();
      if (target) target.querySelectorAll("button").forEach(function (button) { button.disabled = on; });
    }

    function uuid4() {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
      return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
    }

    function questionForm(question) {
      var children = [el("input", { type: "hidden", name: "seed", value: question.seed })];
      if (saves) {
        children.push(
          el("input", { type: "hidden", name: "csrf_token", value: csrf() }),
          el("input", { type: "hidden", name: "attempt_id", value: uuid4() }),
          el("input", { type: "hidden", name: "duration_ms", value: "", "data-duration": true })
        );
      }
      if (question.kind === "choice") {
        var fieldset = el("fieldset", { class: "quiz__choices" }, [
          el("legend", { class: "quiz__prompt", "data-quiz-prompt": true }, [question.prompt]),
        ]);
        question.choices.forEach(function (text, index) {
          var letter = LETTERS[index];
          fieldset.append(el("label", { class: "quiz__choice" }, [
            el("input", { type: "radio", name: "answer", value: letter, required: true }),
            " ",
            el("kbd", { class: "quiz__letter", "aria-hidden": "true" }, [letter]),
            " ",
            el("span", {}, [text]),
          ]));
        });
        var last = LETTERS[question.choices.length - 1];
        children.push(fieldset, el("p", { class: "quiz__hint" }, [
          "Keys: ", el("kbd", {}, ["a"]), "–", el("kbd", {}, [last]), " pick a choice, ",
          el("kbd", {}, ["Enter"]), " checks it.",
        ]));
      } else {
        var unit = question.unit ? " " + question.unit : "";
        var row = el("div", { class: "quiz__number" }, [
          el("input", {
            id: "quiz-answer", name: "answer", type: "number", step: "any", inputmode: "decimal",
            autocomplete: "off", required: true, "aria-describedby": "quiz-tolerance",
          }),
        ]);
        if (question.unit) row.append(el("span", { class: "quiz__unit" }, [question.unit]));
        children.push(
          el("label", { class: "quiz__prompt", for: "quiz-answer", "data-quiz-prompt": true }, [question.prompt]),
          row,
          el("p", { class: "quiz__hint", id: "quiz-tolerance" }, [
            "Counts as right within ±" + fmt(question.tolerance) + unit + ". ",
            el("kbd", {}, ["Enter"]), " checks it.",
          ])
        );
      }
      children.push(el("div", { class: "quiz__actions" }, [
        el("button", { class: "button button--primary", type: "submit", "data-quiz-check": true }, ["Check"]),
        " ",
        el("button", { class: "button button--ghost", type: "submit", name: "show", value: "1", formnovalidate: true, "data-quiz-show": true }, ["Show"]),
      ]));
      return el("form", {
        class: "quiz__form", method: "post", action: answerUrl + "#demo", "data-quiz-form": true,
        "data-kind": question.kind, "data-unit": question.unit || "", "data-tolerance": question.tolerance,
      }, children);
    }

    function verdictView(question, answer, verdict) {
      var outcome;
      if (verdict.correct === true) {
        outcome = el("p", { class: "verdict verdict--right", id: "quiz-outcome", "data-verdict": "right" }, ["Right."]);
      } else {
        outcome = el("p", { class: "verdict verdict--wrong", id: "quiz-outcome", "data-verdict": "wrong" }, ["Wrong: you answered " + answer + "."]);
      }
      var expected = verdict.expected;
      if (question.kind === "choice") {
        expected += ". " + question.choices[LETTERS.indexOf(verdict.expected)];
      } else {
        expected += (question.unit ? " " + question.unit : "") + " (within ±" + fmt(question.tolerance) + ")";
      }
      var picture = figurePicture(verdict.figure_url);
      var image = picture.querySelector("img");
      var caption = el("figcaption", { class: "demo__summary", "data-quiz-summary": true });
      var query = verdict.figure_url.split("?")[1] || "";
      // The verdict names the figure; its words (the alt text and caption) come from the data.
      fetch(dataUrl + "?" + query, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          image.alt = data.summary;
          caption.textContent = data.summary;
        })
        .catch(function () { /* the figure still shows */ });
      var next = el("a", {
        class: "button button--primary", href: cardUrl + "?seed=" + randomSeed() + "#demo", "data-quiz-next": true,
      }, ["Another question"]);
      return el("div", { class: "quiz__verdict", "data-quiz-verdict": true, tabindex: "-1", "aria-labelledby": "quiz-outcome" }, [
        el("p", { class: "quiz__prompt", "data-quiz-prompt": true }, [question.prompt]),
        outcome,
        el("p", { class: "quiz__expected" }, ["The answer: ", el("strong", { "data-quiz-expected": true }, [expected])]),
        el("p", { class: "quiz__explanation", "data-quiz-explanation": true }, [verdict.explanation]),
        el("figure", { class: "demo__figure" }, [
          picture,
          caption,
        ]),
        el("div", { class: "quiz__actions" }, [next]),
      ]);
    }

    // The verdict's figure as the server writes it (templates/_figure.html): narrow on a phone,
    // dark where the theme is, 1x and 2x; URLs add theme, layout and scale in that order.
    function figurePicture(url) {
      function src(dark, narrow, scale) {
        return url + (dark ? "&theme=dark" : "") + (narrow ? "&layout=narrow" : "") + (scale === 2 ? "&scale=2" : "");
      }
      function srcset(dark, narrow) { return src(dark, narrow, 1) + " 1x, " + src(dark, narrow, 2) + " 2x"; }
      var narrowMedia = section.getAttribute("data-narrow-media");
      var dark = "(prefers-color-scheme: dark)";
      var children = [[true, true], [false, true], [true, false]].map(function (which) {
        var narrow = which[1];
        return el("source", {
          media: [narrow ? narrowMedia : "", which[0] ? dark : ""].filter(Boolean).join(" and "),
          srcset: srcset(which[0], narrow),
          width: section.getAttribute(narrow ? "data-narrow-width" : "data-width"),
          height: section.getAttribute(narrow ? "data-narrow-height" : "data-height"),
          "data-theme-source": which[0] ? "dark" : "light",
          "data-width-media": narrow ? narrowMedia : "all",
          "data-quiz-source": true,
        });
      });
      children.push(el("img", {
        src: src(false, false, 1), srcset: srcset(false, false), alt: "",
        width: section.getAttribute("data-width"), height: section.getAttribute("data-height"),
        "data-quiz-image": true,
      }));
      var picture = el("picture", { "data-themed-picture": true, "data-quiz-picture": true }, children);
      if (window.prepdeckTheme) window.prepdeckTheme.syncPictures(picture);
      return picture;
    }

    function randomSeed() {
      var values = new Uint32Array(1);
      window.crypto.getRandomValues(values);
      return values[0] % (MAX_SEED + 1);
    }

    function swap(node, focus) {
      body.replaceChildren(node);
      bind();
      var target = focus(node);
      if (target) target.focus();
    }

    function ask(seed) {
      fetch(apiUrl + "?seed=" + seed, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(errorText(data, "The question could not be drawn."));
            return data;
          });
        })
        .then(function (question) {
          history.replaceState(null, "", cardUrl + "?seed=" + seed + "#demo");
          shownAt = Date.now();
          swap(questionForm(question), function (node) { return node.querySelector("input[name=answer]"); });
        })
        .catch(function () { window.location.href = cardUrl + "?seed=" + seed + "#demo"; });
    }

    function answerOf(target) {
      var field = target.querySelector("input[name=answer]:checked, input[name=answer][type=number]");
      return field ? field.value.trim() : "";
    }

    // What the verdict restates of the question, read off the form the learner answered.
    function questionOf(target) {
      var prompt = target.querySelector("[data-quiz-prompt]");
      return {
        kind: target.getAttribute("data-kind"),
        prompt: prompt ? prompt.textContent : "",
        choices: Array.prototype.map.call(target.querySelectorAll(".quiz__choice span"), function (span) {
          return span.textContent;
        }),
        unit: target.getAttribute("data-unit") || null,
        tolerance: Number(target.getAttribute("data-tolerance")),
      };
    }

    function check(target) {
      var seed = Number(target.querySelector("input[name=seed]").value);
      var answer = answerOf(target);
      var question = questionOf(target);
      if (!answer) {
        showError("answer: " + (question.kind === "choice" ? "pick a choice" : "type a number") + ", or press Show");
        return;
      }
      var sent = { seed: seed, answer: answer };
      var attempt = target.querySelector("input[name=attempt_id]");
      if (attempt) {
        sent.attempt_id = attempt.value;
        sent.duration_ms = Math.min(Date.now() - shownAt, 86400000);
        var duration = target.querySelector("[data-duration]");
        if (duration) duration.value = String(sent.duration_ms);  // for the form, if JSON fails
      }
      busy(true);
      fetch(apiUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify(sent),
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          busy(false);
          if (!result.ok) { showError(errorText(result.data, "The answer could not be checked.")); return; }
          swap(verdictView(question, answer, result.data), function (node) { return node; });
        })
        .catch(function () { busy(false); target.submit(); });
    }

    function reveal(target) {
      // Show without an answer: the page route draws the verdict; its panel replaces this one.
      var data = new FormData(target);
      data.set("show", "1");
      busy(true);
      fetch(target.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-quiz-body] [data-quiz-verdict]");
          if (!fresh) throw new Error("no verdict in the page");
          if (window.prepdeckTheme) window.prepdeckTheme.syncPictures(fresh);
          swap(document.adoptNode(fresh), function (node) { return node; });
        })
        .catch(function () { busy(false); target.submit(); });
    }

    function bind() {
      var target = form();
      if (target) {
        target.addEventListener("submit", function (event) {
          event.preventDefault();
          if (event.submitter && event.submitter.name === "show") reveal(target);
          else check(target);
        });
      }
      var next = body.querySelector("[data-quiz-next]");
      if (next) {
        next.addEventListener("click", function (event) {
          event.preventDefault();
          var seed = new URL(next.href, window.location.href).searchParams.get("seed");
          ask(seed || randomSeed());
        });
      }
    }

    bind();

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      var target = form();
      if (!target) return;
      var focus = event.target;
      var onRadio = focus instanceof HTMLInputElement && focus.type === "radio";
      if (focus instanceof Element && !onRadio && focus.closest("input, textarea, select, [contenteditable='true']")) return;
      var key = event.key.toLowerCase();
      if (key.length === 1 && LETTERS.indexOf(key) >= 0) {
        var radio = target.querySelector('input[type=radio][value="' + key + '"]');
        if (!radio) return;
        event.preventDefault();
        radio.checked = true;
        radio.focus();
      } else if (event.key === "Enter" && onRadio && target.contains(focus)) {
        event.preventDefault();
        target.requestSubmit(target.querySelector("[data-quiz-check]"));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-quiz]").forEach(setup);
  });
})();
