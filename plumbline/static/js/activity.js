// Log-activity form: show only the inputs that apply to the chosen kind (outcome for calls, due date for tasks).
(function () {
  "use strict";
  function sync(form) {
    var kind = form.querySelector("select[name=kind]").value;
    form.querySelectorAll("[data-kinds]").forEach(function (field) {
      var applies = field.dataset.kinds.split(" ").indexOf(kind) !== -1;
      field.hidden = !applies;
      field.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !applies; });
    });
  }
  document.querySelectorAll("form.log-form").forEach(function (form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) return;
    select.addEventListener("change", function () { sync(form); });
    sync(form);
  });
})();
