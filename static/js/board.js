// The chair board refreshes itself: every few seconds it fetches the rows and swaps them in.
// It never moves focus, and it waits while someone is using the board (focus inside it, an
// open check-in form, or a field changed), so nothing is lost mid-entry. Without this
// script the board still works: reload the page.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) { return; }
  var url = board.getAttribute("data-board-refresh");
  var seconds = parseInt(board.getAttribute("data-board-seconds"), 10) || 20;
  var dirty = false;

  board.addEventListener("input", function () { dirty = true; });
  board.addEventListener("change", function () { dirty = true; });

  function busy() {
    return dirty || board.contains(document.activeElement) || board.querySelector("details[open]") !== null ||
      board.querySelector("[role=alert]") !== null;
  }

  function refresh() {
    if (document.hidden || busy()) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("board refresh " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (!busy()) { board.innerHTML = html; }
      })
      .catch(function () { /* keep what is shown; the next tick tries again */ });
  }

  setInterval(refresh, seconds * 1000);
})();
