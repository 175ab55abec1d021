// Progressive enhancement only: every page works without this file.
// After a refused form, move the keyboard focus to the error summary, so a screen reader
// reads the problems and the keyboard user starts from the list of links to the fields.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
