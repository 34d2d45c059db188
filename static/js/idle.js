// Idle logoff warning (WCAG 2.2.1 Timing Adjustable): before the server signs
// the user out, a dialog offers to stay signed in. Works without this script
// too: the server still signs out; this only warns.
(function () {
  "use strict";
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout"), 10);
  var warning = parseInt(body.getAttribute("data-idle-warning"), 10);
  var dialog = document.getElementById("idle-warning");
  if (!timeout || !dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("[data-idle-keepalive]");
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var warnTimer, outTimer, tick, deadline;

  function schedule() {
    clearTimeout(warnTimer); clearTimeout(outTimer); clearInterval(tick);
    deadline = Date.now() + timeout * 1000;
    warnTimer = setTimeout(warn, Math.max(0, (timeout - warning) * 1000));
    outTimer = setTimeout(signedOut, timeout * 1000);
  }
  function render() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    countdown.textContent = "Time left: " + minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s.";
  }
  function warn() {
    render();
    tick = setInterval(render, 15000);
    if (!dialog.open) { dialog.showModal(); }
  }
  function signedOut() {
    window.location.assign("/accounts/login/?next=" + encodeURIComponent(window.location.pathname));
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.signed_in) { signedOut(); return; }
        dialog.close();
        schedule();
      })
      .catch(function () { form.submit(); });
  });
  schedule();
})();
