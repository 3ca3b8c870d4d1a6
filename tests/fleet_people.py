"""The simulated people of the fleet test: supporters on the web and by text, coordinators, one guesser.

Each is a thread with its own HTTPS session through nginx from its own loopback address, acting
with a person's pauses until told to stop. Supporters race for a dozen tasks with room for one or
two people (claim, give back, look again); texting supporters reply TAKE/DROP/MINE/OPEN through the
signed Twilio webhook; coordinators load the pages they watch. Every answer lands in one Record.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from twilio.request_validator import RequestValidator

from tests.fleet import Browser, Hit, Record
from tests.processes import ACCOUNT, TOKEN

TWILIO_NUMBER = "+15005550006"


@dataclass(frozen=True)
class Stage:
    """What every person needs to know: where the service is, which circle, and the shared record."""

    base: str
    cert: Path
    circle_id: int
    task_ids: tuple[int, ...]
    record: Record
    stop: threading.Event


def signed_in(stage: Stage, browser: Browser, email: str, password: str) -> bool:
    """Sign in, trying again after a pause if the answer was lost (a host dying mid-request)."""
    while not stage.stop.is_set():
        hit = browser.sign_in(email, password)
        if hit is not None and hit.status == 302:
            return True
        stage.record.problem(f"sign-in answered {hit.status if hit else 'no form'}; trying again")
        stage.stop.wait(1)
    return False


def web_supporter(stage: Stage, address: str, email: str, password: str, seed: int) -> None:
    rng = random.Random(seed)
    browser = Browser(stage.base, stage.cert, address, stage.record)
    circle = f"/circles/{stage.circle_id}"
    try:
        if not signed_in(stage, browser, email, password):
            return
        token = None
        while not stage.stop.is_set():
            token = token or browser.csrf(f"{circle}/tasks", "tasks page")
            task = f"{circle}/tasks/{rng.choice(stage.task_ids)}"
            roll = rng.random()
            form = {"csrf_token": token or "", "next": f"{circle}/tasks"}
            if roll < 0.35:
                answer = browser.request("POST", f"{task}/claim", "claim", data={**form, "anyway": "1"})
            elif roll < 0.55:
                answer = browser.request("POST", f"{task}/release", "release", data={**form, "note": ""})
            elif roll < 0.7:
                answer = browser.request("GET", task, "task page")
            elif roll < 0.85:
                answer = browser.request("GET", f"{circle}/tasks", "tasks page")
            elif roll < 0.93:
                answer = browser.request("GET", f"{circle}/mine", "mine")
            else:
                answer = browser.request("GET", f"{circle}/calendar", "calendar")
            if answer is not None and answer.status_code == 400:
                token = None  # a form refused as unsigned: fetch a fresh token before the next one
            stage.stop.wait(rng.uniform(0.2, 0.8))
    finally:
        browser.close()


def texting_supporter(stage: Stage, address: str, phone: str, seed: int) -> None:
    """Replies by text: Twilio POSTs each to /sms/inbound, signed over PUBLIC_BASE_URL + path."""
    rng = random.Random(seed)
    browser = Browser(stage.base, stage.cert, address, stage.record)
    validator = RequestValidator(TOKEN)
    try:
        while not stage.stop.is_set():
            code = rng.choice(stage.task_ids)
            body = rng.choice([f"TAKE {code}", f"TAKE {code}", f"take {code}", f"DROP {code}", "MINE", "OPEN"])
            params = {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": ACCOUNT,
                "From": phone,
                "To": TWILIO_NUMBER,
                "Body": body,
            }
            signature = validator.compute_signature(stage.base + "/sms/inbound", params)
            browser.request(
                "POST", "/sms/inbound", "sms inbound", data=params, headers={"X-Twilio-Signature": signature}
            )
            stage.stop.wait(rng.uniform(0.5, 1.5))
    finally:
        browser.close()


def coordinator(stage: Stage, address: str, email: str, password: str, seed: int) -> None:
    rng = random.Random(seed)
    browser = Browser(stage.base, stage.cert, address, stage.record)
    circle = f"/circles/{stage.circle_id}"
    pages = [(circle, "circle home"), (f"{circle}/tasks", "tasks page"), (f"{circle}/health", "health")]
    pages.append((f"{circle}/messages", "message log"))
    try:
        if not signed_in(stage, browser, email, password):
            return
        while not stage.stop.is_set():
            path, what = rng.choice(pages)
            browser.request("GET", path, what)
            stage.stop.wait(rng.uniform(0.5, 1.5))
    finally:
        browser.close()


def guesses(stage: Stage, email: str, wrong: str, right: str, pins: list[str]) -> list[Hit]:
    """Wrong passwords against one account, each from a new address and pinned to the host named in turn.

    Then the right password through each host. Returns every sign-in POST's answer, in order.
    """
    hits = []
    for n, (pin, password) in enumerate([(p, wrong) for p in pins] + [(p, right) for p in pins[:2]]):
        browser = Browser(stage.base, stage.cert, f"127.0.3.{n + 1}", stage.record)
        try:
            hits.append(browser.sign_in(email, password, what="guess", pin=pin))
        finally:
            browser.close()
    return hits
