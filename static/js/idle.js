// Idle logoff warning (WCAG 2.2.1 Timing Adjustable): before the server signs
// the user out, a dialog offers to stay signed in. Works without this script
// too: the server still signs out; this only warns.
// - Escape on the warning counts as "Stay signed in": closing the warning must not
//   leave a silent sign-out two minutes later.
// - The absolute limit (SESSION_ABSOLUTE_LIFETIME), which no activity extends, gets a
//   warning of its own before it ends the session.
// - After a sign-out, sign-in returns to the page the user was on.
(function () {
  "use strict";
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout"), 10);
  var warning = parseInt(body.getAttribute("data-idle-warning"), 10);
  var endsIn = parseInt(body.getAttribute("data-session-ends-in"), 10);
  var dialog = document.getElementById("idle-warning");
  if (!timeout || !dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("[data-idle-keepalive]");
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var endDialog = document.getElementById("session-end-warning");
  var endCountdown = endDialog && endDialog.querySelector("[data-session-end-countdown]");
  var sessionEnd = endsIn >= 0 ? Date.now() + endsIn * 1000 : null;
  var warnTimer, outTimer, tick, deadline, keeping = false;

  function timeLeft(until) {
    var left = Math.max(0, Math.round((until - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    return "Time left: " + minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s.";
  }
  function schedule() {
    clearTimeout(warnTimer); clearTimeout(outTimer); clearInterval(tick);
    deadline = Date.now() + timeout * 1000;
    // The absolute limit comes first near the end of a long session: no idle warning after it.
    if (sessionEnd !== null && sessionEnd < deadline) { deadline = sessionEnd; }
    else { warnTimer = setTimeout(warn, Math.max(0, (timeout - warning) * 1000)); }
    // A moment after the deadline, so the server has surely timed the session out too.
    outTimer = setTimeout(signedOut, Math.max(0, deadline - Date.now()) + 1500);
  }
  function render() { countdown.textContent = timeLeft(deadline); }
  function warn() {
    render();
    tick = setInterval(render, 15000);
    if (!dialog.open) { dialog.showModal(); }
  }
  function signedOut() {
    window.location.assign("/accounts/login/?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }
  function keepAlive() {
    if (keeping) { return; }
    keeping = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) { return response.json(); })
      .then(function (data) {
        keeping = false;
        if (!data.signed_in) { signedOut(); return; }
        if (dialog.open) { dialog.close(); }
        schedule();
      })
      .catch(function () { keeping = false; form.submit(); });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); keepAlive(); });
  // Escape (the dialog's "cancel") keeps the session rather than dismissing the warning silently.
  dialog.addEventListener("cancel", function () { keepAlive(); });

  if (endDialog && typeof endDialog.showModal === "function" && sessionEnd !== null) {
    var endWarningAt = Math.max(0, sessionEnd - Date.now() - warning * 1000);
    setTimeout(function () {
      if (dialog.open) { dialog.close(); }
      endCountdown.textContent = timeLeft(sessionEnd);
      setInterval(function () { endCountdown.textContent = timeLeft(sessionEnd); }, 15000);
      endDialog.showModal();
    }, endWarningAt);
  }
  schedule();
})();
