// The mock interview's countdown: m:ss beside the question, and a word to screen readers at
// 30 and at 10 seconds left. Without JavaScript the page says the deadline as a clock time.
// Ctrl+Enter in the answer box sends it (app.js, for every textarea marked data-ctrl-enter).
(function () {
  "use strict";

  var clock = document.querySelector("[data-deadline]");
  if (!clock) return;
  var shown = clock.querySelector("[data-countdown]");
  var live = document.querySelector("[data-countdown-live]");
  // The server says how long is left when it drew the page; the browser's clock may be wrong.
  var left = Number(clock.getAttribute("data-seconds-left"));
  var start = performance.now();
  var told = {};

  function format(seconds) {
    var whole = Math.max(0, Math.ceil(seconds));
    var minutes = Math.floor(whole / 60);
    var rest = whole % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tell(text) {
    if (live) live.textContent = text;
  }

  function tick() {
    var remaining = left - (performance.now() - start) / 1000;
    if (shown) {
      shown.textContent = remaining > 0 ? format(remaining) + " left" : "Time is up: answer anyway, it is marked over time";
      shown.classList.toggle("interview__countdown--low", remaining <= 30);
    }
    [30, 10].forEach(function (mark) {
      if (!told[mark] && remaining <= mark && remaining > 0 && left > mark) {
        told[mark] = true;
        tell(mark + " seconds left.");
      }
    });
    if (remaining <= 0) {
      if (!told.up) {
        told.up = true;
        if (left > 0) tell("Time is up.");
      }
      return;
    }
    window.setTimeout(tick, 250);
  }

  tick();
})();
