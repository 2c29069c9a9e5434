// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Filters apply with their Apply button (no reload on each arrow key in a list).
  // Long form posts say that they are working.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".busy");
      if (busy) { busy.textContent = form.dataset.busy; busy.hidden = false; }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    });
  });
  // The answer's grid: a verdict opens its evidence panel in place (without script the link loads the page with it).
  var panel = document.getElementById("evidence");
  if (panel) {
    document.querySelectorAll("a[data-panel]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
        ev.preventDefault();
        fetch(a.dataset.panel).then(function (r) {
          if (!r.ok) { throw new Error(r.status); }
          return r.text();
        }).then(function (html) {
          var heading = panel.querySelector("h2");
          panel.innerHTML = "";
          if (heading) { panel.appendChild(heading); }
          panel.insertAdjacentHTML("beforeend", html);
          history.pushState(null, "", a.getAttribute("href"));
          panel.focus();
        }).catch(function () { window.location.href = a.href; });
      });
    });
  }
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
