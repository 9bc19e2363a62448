// The dashboard's only script, served from /ui/assets/app.js (the CSP allows no inline script). Plain browser
// JavaScript with no build step: sortable tables, and the key and origin actions with a confirmation dialog. Everything else
// on the pages works without it.
export const APP_JS = String.raw`"use strict";
(function () {
  // ---- sortable tables: a button in each sortable heading; aria-sort says the order to screen readers ----------
  function cellValue(row, i, numeric) {
    var cell = row.children[i];
    if (!cell) return numeric ? 0 : "";
    var v = cell.getAttribute("data-value");
    if (v === null) { var inner = cell.querySelector("[data-value]"); v = inner ? inner.getAttribute("data-value") : cell.textContent.trim(); }
    return numeric ? Number(v) : v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, i) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = kind === "num";
        rows.sort(function (a, b) {
          var x = cellValue(a, i, numeric), y = cellValue(b, i, numeric);
          var d = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // ---- key actions: confirm, call the admin API (through /ui/api/), show the outcome ----------------------------
  var dialog = document.getElementById("confirm");
  if (!dialog) return;
  var text = document.getElementById("confirm-text");
  var result = document.getElementById("confirm-result");
  var ok = document.getElementById("confirm-ok");
  var cancel = document.getElementById("confirm-cancel");
  var QUESTIONS = {
    block: "Block key NAME? Every request with it is refused from now on, until it is unblocked.",
    unblock: "Unblock key NAME? It can be used again at once.",
    regenerate: "Rotate key NAME? It gets a new secret and the current one stops working now. The new key is shown once.",
    start: "Start the origin? It serves the models and video jobs only the origin has; it stops again when idle.",
    stop: "Stop the origin now? Requests that need it wake it again (after a cold start)."
  };
  var pending = null;
  var changed = false;

  function reset() {
    result.hidden = true;
    result.textContent = "";
    ok.hidden = false;
    ok.disabled = false;
    cancel.textContent = "Cancel";
  }
  document.querySelectorAll("button[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-action");
      pending = { action: action, key: button.getAttribute("data-key"), endpoint: button.getAttribute("data-endpoint") || "/ui/api/key/" + action, opener: button };
      reset();
      text.textContent = QUESTIONS[pending.action].replace("NAME", "\u201c" + (button.getAttribute("data-name") || "") + "\u201d");
      dialog.showModal();
      cancel.focus();
    });
  });
  ok.addEventListener("click", function (event) {
    event.preventDefault();
    if (!pending) return;
    ok.disabled = true;
    fetch(pending.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pending.key ? { key: pending.key } : {})
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (r) {
      result.hidden = false;
      ok.hidden = true;
      cancel.textContent = "Close";
      if (!r.ok) { result.textContent = "Refused: " + ((r.body && r.body.error && r.body.error.message) || "unknown error"); return; }
      changed = true;
      if (pending.action === "regenerate") {
        result.textContent = "";
        result.appendChild(document.createTextNode("The new key (shown only now; copy it): "));
        var code = document.createElement("code");
        code.id = "new-key";
        code.textContent = r.body.key;
        result.appendChild(code);
      } else if (pending.action === "start" || pending.action === "stop") {
        var issued = pending.action === "start" ? r.body.start_issued : r.body.stop_issued;
        result.textContent = (issued ? (pending.action === "start" ? "Start issued" : "Stop issued") : "Nothing to do") + "; the origin is " + r.body.state + ".";
      } else {
        result.textContent = pending.action === "block" ? "Blocked." : "Unblocked.";
      }
    }).catch(function () {
      result.hidden = false;
      result.textContent = "The gateway could not be reached.";
      ok.disabled = false;
    });
  });
  dialog.addEventListener("close", function () {
    if (changed) { window.location.reload(); return; }
    if (pending && pending.opener) pending.opener.focus();
    pending = null;
  });
})();
`;
