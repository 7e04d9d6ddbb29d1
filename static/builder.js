// The question editor without round trips: option rows are added, removed and reordered in the page, and the
// range of a condition follows the chosen question's scale. The form works the same without this script (the
// row buttons then ask the server to show the form again, nothing is saved until "Save question").
(function () {
  "use strict";
  var options = document.querySelector("[data-options]");
  if (options) {
    var list = options.querySelector(".option-rows");
    var pattern = /option-\d+-/;

    var renumber = function () {
      list.querySelectorAll(".option-row").forEach(function (row, index) {
        row.querySelectorAll("input").forEach(function (input) {
          input.name = input.name.replace(pattern, "option-" + index + "-");
        });
        row.querySelectorAll("button[name=option_action]").forEach(function (button) {
          button.value = button.value.replace(/-\d+$/, "-" + index);
        });
      });
    };

    options.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=option_action]");
      if (!button) { return; }
      event.preventDefault();
      var verb = button.value.split("-")[0];
      var row = button.closest(".option-row");
      if (verb === "add") {
        var rows = list.querySelectorAll(".option-row");
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelector("details").open = false;
        list.appendChild(copy);
        renumber();
        copy.querySelector("input").focus();
        return;
      }
      if (verb === "remove") {
        if (list.querySelectorAll(".option-row").length > 1) { row.remove(); }
        else { row.querySelectorAll("input").forEach(function (input) { input.value = ""; }); }
      } else if (verb === "up" && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (verb === "down" && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      renumber();
      button.focus();
    });
  }

  var condition = document.querySelector("[data-condition]");
  if (condition) {
    var selects = condition.querySelectorAll("select");
    var key = selects[0], low = selects[1], high = selects[2];
    var presets = condition.querySelector("[data-presets]");

    var follow = function (fill) {
      var chosen = key.options[key.selectedIndex];
      var from = Number(chosen.getAttribute("data-low"));
      var to = Number(chosen.getAttribute("data-high"));
      var active = chosen.value !== "";
      [low, high].forEach(function (select) {
        select.disabled = !active;
        Array.prototype.forEach.call(select.options, function (option) {
          var n = Number(option.value);
          option.hidden = option.value === "" ? active : !(active && n >= from && n <= to);
        });
      });
      if (active && fill && (low.options[low.selectedIndex].hidden || low.value === "")) { low.value = String(from); }
      if (active && fill && (high.options[high.selectedIndex].hidden || high.value === "")) { high.value = String(to); }
      if (!active) { low.value = ""; high.value = ""; }
      presets.hidden = !(active && from === 0 && to === 10);
    };

    key.addEventListener("change", function () { follow(true); });
    presets.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-range]");
      if (!button) { return; }
      var range = button.getAttribute("data-range").split("-");
      low.value = range[0];
      high.value = range[1];
    });
    follow(false);
  }
})();
