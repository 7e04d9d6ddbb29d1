// Saves each survey answer as it is given, so nothing answered is lost on a flaky connection.
// The form works the same without this script.
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-answer-url");
  var status = form.querySelector(".saved");
  var timers = {};

  function save(fieldset) {
    var key = fieldset.getAttribute("data-key");
    var data = new FormData();
    data.append("state", form.elements["state"].value);
    data.append("key", key);
    fieldset.querySelectorAll("input:checked, textarea").forEach(function (input) {
      data.append("value", input.value);
    });
    form.elements["saved"].value = "1";  // the response exists now: the page submit goes the full path
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (status) { status.textContent = response.ok ? status.getAttribute("data-saved") || "✓" : ""; }
      })
      .catch(function () { /* the page submit still carries every answer */ });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-key]");
    if (fieldset) { save(fieldset); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") { return; }
    var fieldset = event.target.closest("fieldset[data-key]");
    var key = fieldset.getAttribute("data-key");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(fieldset); }, 800);
  });
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    setTimeout(function () { button.disabled = true; }, 0);  // one tap, one request (the server is idempotent too)
  });
})();
