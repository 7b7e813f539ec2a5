// A <select data-autosubmit> submits its form when changed (no inline on* handlers: the CSP forbids them).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});
