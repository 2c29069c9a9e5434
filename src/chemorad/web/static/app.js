// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Filters apply as soon as a choice changes.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  // Long form posts say that they are working.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".busy");
      if (busy) { busy.textContent = form.dataset.busy; busy.hidden = false; }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    });
  });
  // A running simulation: poll its progress, reload when it ends.
  var job = document.getElementById("job");
  if (job && (job.dataset.state === "queued" || job.dataset.state === "running")) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var poll = function () {
      fetch("/api/simulations/" + job.dataset.job).then(function (r) { return r.json(); }).then(function (s) {
        if (s.state !== "queued" && s.state !== "running") { window.location.reload(); return; }
        if (bar) { bar.value = s.fraction; }
        if (text) { text.textContent = s.done + " / " + (s.total || "?") + " steps"; }
        window.setTimeout(poll, 400);
      });
    };
    window.setTimeout(poll, 300);
  }
})();
