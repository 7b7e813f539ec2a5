// A <form data-confirm="question"> asks before it submits: no inline handler, so the Content-Security-Policy
// (script-src 'self') allows it. "{from_event}" in the question is replaced by the form's from_event field.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  if (form.from_event) {
    question = question.replace("{from_event}", form.from_event.value);
  }
  if (!window.confirm(question)) {
    event.preventDefault();
  }
});
