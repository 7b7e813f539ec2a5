// A <select data-autosubmit> submits its form when changed (the board's pipeline switch): no inline handler, so a
// Content-Security-Policy without 'unsafe-inline' allows it. Without JavaScript the form's own button submits.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
