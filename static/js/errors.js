// Where focus starts on a page that answers a form (WCAG 3.3.1, 4.1.3, 2.4.3):
// - after an invalid submit, the error summary (templates/includes/error_summary.html), so a
//   screen reader reads it first and a keyboard user starts from its links; a link moves focus
//   to its field, not only the scroll position;
// - otherwise the element the page marks with [data-focus-on-load]: the booking proposal's
//   heading, or a confirmation such as "Booked 6 sessions".
// Without this script the summary is still the first thing in <main> and the title starts
// with "Error:".
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    var folded = field.closest("details");
    if (folded) { folded.open = true; }
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  });
});
