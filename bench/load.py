"""Mixed load: simulated patients and front-desk staff doing their journeys against gunicorn.

Each simulated user is one thread holding one keep-alive connection (http.client)
and its own cookie jar. The jar keeps the production cookies (`__Host-sessionid`,
`__Host-csrftoken`, marked Secure) although the bench talks plain http on
loopback, as a browser behind a TLS-terminating proxy would see them. Users
pause between pages (LOAD_THINK_MIN..LOAD_THINK_MAX seconds, default 2-8, a
5 s mean), as people reading a page or filling a form do: 50 users then offer
a load a clinic could see, not 50 tight loops on a 2-core machine (with no
pause the figures measure only the CPU's queue).

Why threads and not Locust: the journeys need only GET/POST with a CSRF token
and cookies, which the standard library does; Locust would add gevent and a
dozen packages to the test dependencies for the same figures.

Journeys (each user repeats its own journey until the time is up):
- guide:      /learn/, /learn/ketamine-infusion/
- screening:  /screening/, start, every step answered "No", the result (data-outcome="clear").
              The answers are not sent to the clinic (that is rate-limited per address and writes a referral).
- patient:    sign in as the demo patient, /me/, sign out
- front_desk: (signed in once, with its own staff account: password, then a code from its authenticator
              app, as two-step sign-in requires) /staff/, the booking page, book a 1-week course of 2 sessions
              for its own cleared patient on a random future weekday, the course page, cancel one session,
              cancel the rest, so the patient is free for the next round.

Every 5th user is a front-desk user; the others take turns through guide, screening and patient.
Anything but the expected status (and markup for the screening result) is an error.

    LOAD_USERS=50 LOAD_SECONDS=120 python bench/run.py        # the full run (the defaults)
    LOAD_USERS=10 LOAD_SECONDS=15 python bench/run.py         # a quick one
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import defaultdict
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Portal-demo-2026"
PATIENT_LOGIN = "patient@clinic.example"
JOURNEYS = ("guide", "screening", "patient", "front_desk", "sign_in")
HEADERS = {
    "User-Agent": "portal-load/1",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "en",
    "Connection": "keep-alive",
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
IDLE_RECONNECT_SECONDS = 1.5
QUESTION = re.compile(r'data-question="([^"]+)"')


class Failure(Exception):
    """A response the journey did not expect."""


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.journeys: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)

    def request(self, journey: str, seconds: float) -> None:
        with self.lock:
            self.latencies[journey].append(seconds)

    def error(self, journey: str, what: str) -> None:
        with self.lock:
            self.errors[journey] += 1
            if len(self.samples[journey]) < 5:
                self.samples[journey].append(what[:300])

    def done(self, journey: str) -> None:
        with self.lock:
            self.journeys[journey] += 1


class Browser:
    """One keep-alive connection and a cookie jar that ignores the Secure flag (loopback http)."""

    def __init__(self, host: str, port: int, recorder: Recorder, tls: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.recorder, self.tls = host, port, recorder, tls
        self.conn = self._connect()
        self.cookies: dict[str, str] = {}
        self.journey = "guide"
        self.last_used = time.monotonic()
        self.totp_key = b""  # a staff account's authenticator app
        self.extra_headers: dict[str, str] = {}  # e.g. what a trusted proxy adds, when talking to a node directly

    def _connect(self) -> http.client.HTTPConnection:
        # Through a TLS proxy (the drill's nginx) with its certificate, else plain http to gunicorn.
        if self.tls is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=30, context=self.tls)
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def close(self) -> None:
        self.conn.close()

    def _store_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.msg.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            lowered = attributes.lower()
            expired = "max-age=0" in lowered.replace(" ", "") or "expires=thu, 01 jan 1970" in lowered
            if expired or value in ('""', ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def csrf_cookie(self) -> str:
        return self.cookies.get("__Host-csrftoken") or self.cookies.get("csrftoken", "")

    def send(self, method: str, path: str, data: dict | list | None = None) -> tuple[int, str, str]:
        """One request, timed; returns (status, Location, body)."""
        headers = {**HEADERS, **self.extra_headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.tls is not None:  # as a browser does; Django checks it on HTTPS
                headers["Origin"] = f"https://{self.host}:{self.port}"
        if time.monotonic() - self.last_used > IDLE_RECONNECT_SECONDS:
            # gunicorn closes a keep-alive connection idle for 2 s; a browser would open a new one.
            self.conn.close()
            self.conn = self._connect()
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = self._connect()
            raise Failure(f"{method} {path}: {exc!r}") from exc
        self.last_used = time.monotonic()
        self.recorder.request(self.journey, time.perf_counter() - began)
        self._store_cookies(response)
        return response.status, response.getheader("Location", ""), payload.decode("utf-8", "replace")

    def get(self, path: str, *, expect: int = 200) -> str:
        status, location, body = self.send("GET", path)
        if status != expect:
            raise Failure(f"GET {path}: {status} (expected {expect}) {location}")
        return body

    def post(self, page_body: str, path: str, fields: dict | list, *, expect: int = 302) -> tuple[str, str]:
        """POST a form read from page_body (its CSRF token); returns (Location, body)."""
        match = CSRF_INPUT.search(page_body)
        if not match:
            raise Failure(f"POST {path}: no CSRF token on the page")
        fields = list(fields.items()) if isinstance(fields, dict) else list(fields)
        status, location, body = self.send("POST", path, [("csrfmiddlewaretoken", match.group(1)), *fields])
        if status != expect:
            main = body.split("<main", 1)[-1]
            alert = re.search(r'class="[^"]*(?:alert-danger|invalid-feedback)[^"]*".*?</(?:div|ul)>', main, re.S)
            detail = " ".join(unescape(re.sub(r"<[^>]+>", " ", alert.group(0) if alert else "")).split())[:400]
            raise Failure(f"POST {path}: {status} (expected {expect}) {location} {detail}")
        return location, body

    def sign_in(self, email: str, *, password: str = PASSWORD) -> str:
        page = self.get("/accounts/login/")
        # The password check (a deliberately slow hash) is reported on its own line.
        journey, self.journey = self.journey, "sign_in"
        try:
            location, _ = self.post(page, "/accounts/login/", {"username": email, "password": password, "next": ""})
        finally:
            self.journey = journey
        while location and urlsplit(location).path not in ("/me/", "/staff/"):
            if urlsplit(location).path == "/accounts/two-factor/verify/" and self.totp_key:
                step = self.get("/accounts/two-factor/verify/")
                location, _ = self.post(step, "/accounts/two-factor/verify/", {"code": totp_now(self.totp_key)})
                continue
            status, location, _ = self.send("GET", urlsplit(location).path)
            if status not in (301, 302):
                raise Failure(f"sign-in of {email} ended on {status} instead of /me/ or /staff/")
        return urlsplit(location).path

    def sign_out(self, page_body: str) -> None:
        self.post(page_body, "/accounts/logout/", {})
        self.cookies.pop("__Host-sessionid", None)


# --- journeys -----------------------------------------------------------------------------


def journey_guide(browser: Browser, pause) -> None:
    body = browser.get("/learn/")
    if "/learn/ketamine-infusion/" not in body:
        raise Failure("/learn/ does not link to the ketamine infusion guide")
    pause()
    browser.get("/learn/ketamine-infusion/")


def journey_screening(browser: Browser, pause) -> None:
    page = browser.get("/screening/")
    pause()
    location, _ = browser.post(page, "/screening/", {"action": "restart"})
    path = urlsplit(location).path
    for _step in range(20):
        if not path.startswith("/screening/step/"):
            break
        page = browser.get(path)
        codes = sorted(set(QUESTION.findall(page)))
        if not codes:
            raise Failure(f"{path} shows no question")
        pause()
        location, _ = browser.post(page, path, [*((code, "no") for code in codes), ("action", "next")])
        path = urlsplit(location).path
    if path != "/screening/result/":
        raise Failure(f"the screening steps ended on {path}, not the result")
    result = browser.get(path)
    if 'data-outcome="clear"' not in result:
        raise Failure('all "No" did not give data-outcome="clear"')


def journey_patient(browser: Browser, pause) -> None:
    landed = browser.sign_in(PATIENT_LOGIN)
    if landed != "/me/":
        raise Failure(f"the patient landed on {landed}")
    me = browser.get("/me/")
    if "Pat" not in me:
        raise Failure("/me/ does not name the patient")
    pause()
    browser.sign_out(me)


def _random_first_day(rng: random.Random) -> dt.date:
    """A Monday or Tuesday: two a week then fall on Mon/Thu or Tue/Fri, both opening days, in a
    week without a US federal holiday (the clinic closes on them, as the demo and seed do)."""
    from scheduling.holidays import us_federal_holidays

    day = dt.date.today() + dt.timedelta(days=rng.randint(14, 700))  # the clinic books up to two years ahead
    while True:
        while day.weekday() not in (0, 1):
            day += dt.timedelta(days=1)
        week = {day + dt.timedelta(days=n) for n in range(7)}
        closed = {d for year in {day.year, day.year + 1} for d, _name in us_federal_holidays(year)}
        if not week & closed:
            return day
        day += dt.timedelta(days=7)


def totp_now(key: bytes) -> str:
    """The code an authenticator app shows now (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits)."""
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def journey_front_desk(browser: Browser, pause, *, desk: dict, rng: random.Random) -> None:
    patient_pk = desk["patient"]
    if "__Host-sessionid" not in browser.cookies and "sessionid" not in browser.cookies:
        browser.totp_key = bytes.fromhex(desk["key"])
        if browser.sign_in(desk["email"]) != "/staff/":
            raise Failure("the front desk did not land on /staff/")
    browser.get("/staff/")
    pause()
    page = browser.get(f"/staff/book/?patient={patient_pk}")
    pause()
    fields = {
        "patient": str(patient_pk),
        "first_day": _random_first_day(rng).isoformat(),
        "sessions_per_week": "2",
        "weeks": "1",
        "start_time": f"{rng.randint(8, 14):02d}:{rng.choice(('00', '30'))}",
        "action": "book",
    }
    location, _ = browser.post(page, "/staff/book/", fields)
    course_path = urlsplit(location).path
    if not re.fullmatch(r"/staff/courses/\d+/", course_path):
        raise Failure(f"booking went to {course_path}, not a course page")
    course = browser.get(course_path)
    sessions = sorted(set(re.findall(r'href="(/staff/sessions/\d+/)"', course)))
    if len(sessions) != 2:
        raise Failure(f"the course page lists {len(sessions)} sessions, not 2")
    pause()
    session_page = browser.get(sessions[0])
    browser.post(session_page, sessions[0] + "cancel/", {"reason": "load test: patient asked by phone"})
    browser.get(sessions[0])
    pause()
    course = browser.get(course_path)
    browser.post(course, course_path + "cancel-rest/", {"reason": "load test: course cancelled"})


# --- setup: one cleared patient per front-desk user ---------------------------------------------

SETUP = """
import datetime as dt
import json
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from portal.models import Patient, Role, User
from portal.services import patient_register, staff_create
from screening.services import clearance_record
clinician = User.objects.filter(groups__name=Role.CLINICIAN).order_by("pk").first()
desks = []
for n in range({count}):
    email = f"load-patient-{{n}}@bench.example"
    patient = Patient.objects.filter(email=email).first() or patient_register(
        first_name="Load", last_name=f"Patient {{n}}", email=email)
    clearance_record(patient=patient, clinician=clinician, note="bench")
    desk_email = f"load-desk-{{n}}@bench.example"
    desk = User.objects.filter(email=desk_email).first() or staff_create(
        email=desk_email, role="front_desk", first_name="Load", last_name=f"Desk {{n}}", password="{password}")
    TOTPDevice.objects.filter(user=desk).delete()
    device = TOTPDevice.objects.create(user=desk, name="Authenticator app", confirmed=True)
    User.objects.filter(pk=desk.pk).update(two_factor_required_from=timezone.now() - dt.timedelta(days=1))
    desks.append({{"patient": patient.pk, "email": desk_email, "key": device.key}})
print("DESKS=" + json.dumps(desks))
"""


def front_desks(count: int) -> list[dict]:
    """One front-desk account (with its authenticator app's key) and one cleared patient per
    front-desk user, made in the bench database (run.py's environment)."""
    if count == 0:
        return []
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP.format(count=count, password=PASSWORD)],
        cwd=ROOT, env=os.environ.copy(), check=True, capture_output=True, text=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("DESKS="))
    return json.loads(line[6:])


# --- the run -------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))] * 1000


def run(base_url: str, *, users: int | None = None, seconds: float | None = None,
        tls: ssl.SSLContext | None = None) -> dict:
    users = users or int(os.environ.get("LOAD_USERS", "50"))
    seconds = seconds or float(os.environ.get("LOAD_SECONDS", "120"))
    think = (float(os.environ.get("LOAD_THINK_MIN", "2")), float(os.environ.get("LOAD_THINK_MAX", "8")))
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "https" and tls is None:
        tls = ssl.create_default_context()
    front_desk_users = [i for i in range(users) if i % 5 == 4]
    patients = dict(zip(front_desk_users, front_desks(len(front_desk_users)), strict=True))
    recorder = Recorder()
    stop = threading.Event()
    began_box: list[float] = []
    start_line = threading.Barrier(users + 1)

    def user(index: int) -> None:
        rng = random.Random(index)
        browser = Browser(host, port, recorder, tls)

        def pause() -> None:
            stop.wait(rng.uniform(*think))

        start_line.wait()
        stop.wait(rng.uniform(0, think[1]))  # ramp up: users arrive over the first pause
        turn = index
        try:
            while not stop.is_set():
                if index in patients:
                    journey = "front_desk"
                else:
                    journey = ("guide", "screening", "patient")[turn % 3]
                    turn += 1
                browser.journey = journey
                try:
                    if journey == "guide":
                        journey_guide(browser, pause)
                    elif journey == "screening":
                        journey_screening(browser, pause)
                    elif journey == "patient":
                        journey_patient(browser, pause)
                    else:
                        journey_front_desk(browser, pause, desk=patients[index], rng=rng)
                except Failure as exc:
                    if stop.is_set() and "RemoteDisconnected" in str(exc):
                        break
                    recorder.error(journey, str(exc))
                    browser.cookies.clear()
                else:
                    recorder.done(journey)
                pause()
        finally:
            browser.close()

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began_box.append(time.perf_counter())
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - began_box[0]

    result: dict = {"users": users, "seconds": round(elapsed, 1)}
    everything: list[float] = []
    for journey in JOURNEYS:
        values = sorted(recorder.latencies.get(journey, []))
        everything += values
        if journey != "sign_in":  # a step of the patient and front-desk journeys, not one of its own
            result[f"{journey} journeys"] = recorder.journeys.get(journey, 0)
        result[f"{journey} rps"] = len(values) / elapsed
        result[f"{journey} p50_ms"] = _percentile(values, 0.50)
        result[f"{journey} p95_ms"] = _percentile(values, 0.95)
        result[f"{journey} p99_ms"] = _percentile(values, 0.99)
        result[f"{journey} errors"] = recorder.errors.get(journey, 0)
    everything.sort()
    result["all requests"] = len(everything)
    result["all rps"] = len(everything) / elapsed
    result["all p50_ms"] = _percentile(everything, 0.50)
    result["all p95_ms"] = _percentile(everything, 0.95)
    result["all p99_ms"] = _percentile(everything, 0.99)
    result["all errors"] = sum(recorder.errors.values())
    pages = sorted(x for journey in JOURNEYS if journey != "sign_in" for x in recorder.latencies.get(journey, []))
    result["all but sign_in p95_ms"] = _percentile(pages, 0.95)
    for journey, samples in recorder.samples.items():
        for sample in samples:
            print(f"load error ({journey}): {sample}", file=sys.stderr)
    return result


if __name__ == "__main__":
    figures = run(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
    for key, value in figures.items():
        print(f"{key}: {value:,.2f}" if isinstance(value, float) else f"{key}: {value}")
