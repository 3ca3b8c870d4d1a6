"""Texts people can read: one GSM-7 segment where possible, no curly quotes or emoji, no private details."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import render_template

from config import BASE_DIR
from coordinator.sms.segments import segments, too_many_texts

# The GSM 03.38 basic character set: anything else forces UCS-2 (70 characters a segment).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
LONG = {
    "first_name": "Maximiliana",
    "noun": "some paperwork",
    "when": "tomorrow at 12:45pm",
    "code": "1234567",
    "person": "Bartholomew",
    "by": "Christopher",
    "circle_name": "Team Maximiliana",
    "count": 28,
    "lines": ["Wed 12:45pm paperwork (TAKE 1234567)", "Thu 10:30am housework (TAKE 1234568)"],
    "url": "https://care.example.org/circles/123456/invitations",
    "day": "Wed 30 Sep",
}
# Texts that carry a person's own words, or a link, and so may run to a second segment.
LONGER_BY_DESIGN = {
    "invitation.txt": "carries the inviter's own message and the full join link",
    "reopen_ask.txt": "carries the patient-approved message and a personal answer link",
    "reopen_review.txt": "carries a review link for the patient",
    "join_requested.txt": "carries a link for the coordinator",
    "alert.txt": "carries the one-tap link for the coordinator",
    "alert_backup.txt": "carries the one-tap link for the coordinator",
    "claim_released_alert.txt": "a DROP and the alert said in one text, with the one-tap link",
}
TEMPLATES = sorted(p.name for p in Path(BASE_DIR, "templates", "sms").glob("*.txt"))


def render(app, name: str) -> str:
    from types import SimpleNamespace

    extra = {
        "circle": SimpleNamespace(name="Team Maximiliana"),
        "inviter": SimpleNamespace(name="Christopher Montgomery"),
        "message": "Maria could use us again. Would you help?",
        "person": SimpleNamespace(first_name="Bartholomew", name="Bartholomew"),
    }
    with app.test_request_context():
        return render_template(
            f"sms/{name}", **(LONG | extra if name.startswith(("invitation", "reopen_ask")) else LONG)
        ).strip()


def test_there_are_templates_to_check():
    assert {"checkin.txt", "reminder.txt", "digest.txt", "welcome.txt", "task_cancelled.txt"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_text_is_plain_gsm7_and_fits_one_segment_or_says_why(make_app, name):
    app = make_app()
    body = render(app, name)
    assert set(body) <= GSM7, f"{name}: not GSM-7: {sorted(set(body) - GSM7)}"
    for sneaky in "‘’“”…–—":
        assert sneaky not in body
    if name not in LONGER_BY_DESIGN:
        assert segments(body).count == 1, f"{name} goes as {segments(body)}: {body}"
    else:
        assert segments(body).count <= 3, f"{name} goes as {segments(body)}: {body}"


@pytest.mark.parametrize(
    ("text", "count", "encoding"),
    [
        ("", 0, "GSM-7"),
        ("a" * 160, 1, "GSM-7"),
        ("a" * 161, 2, "GSM-7"),
        ("a" * 306, 2, "GSM-7"),
        ("a" * 307, 3, "GSM-7"),
        ("{" * 80, 1, "GSM-7"),  # extension characters take two places
        ("{" * 81, 2, "GSM-7"),
        ("é" * 160, 1, "GSM-7"),  # in the basic table
        ("ê" * 70, 1, "UCS-2"),  # not: the whole text becomes UCS-2
        ("ê" * 71, 2, "UCS-2"),
        ("a" * 133 + "ê", 2, "UCS-2"),
        ("\U0001f49c" * 35, 1, "UCS-2"),  # an emoji is two UTF-16 units
        ("\U0001f49c" * 36, 2, "UCS-2"),
        ("x" * 600 + "’", 9, "UCS-2"),  # the review's 600 characters, one curly quote: nine texts
    ],
)
def test_segments_are_counted_as_phones_count_them(text, count, encoding):
    size = segments(text)
    assert (size.count, size.encoding) == (count, encoding)


def test_how_much_to_cut_is_said_in_characters():
    assert too_many_texts("x" * 459, most=3) is None
    assert too_many_texts("x" * 500, most=3) == (
        "That message would go as 4 texts; keep it to 3 — about 45 characters shorter."
    )
    assert too_many_texts("I’m " + "x" * 455, most=3) is None  # smart quotes are sent as plain ones
    # One emoji makes 300 characters 5 texts: say so, instead of "about 100 characters shorter"
    assert too_many_texts("x" * 300 + " 💜", most=3) == (
        "💜 makes this message go as 5 texts instead of 3 or fewer: a text with an emoji or a special letter "
        "holds far fewer characters. Take it out."
    )
    assert too_many_texts("x" * 500 + " 💜", most=3) == (  # too long even without it: the length, and why
        "That message would go as 8 texts; keep it to 3: take out 💜 (with it each text holds 70 characters, "
        "not 160) and about 45 more."
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_address_or_medical_detail_reaches_a_text(name):
    source = Path(BASE_DIR, "templates", "sms", name).read_text()
    for forbidden in ("address", "notes", "title", "details", "pickup", "destination", "diagnosis"):
        assert forbidden not in source, f"{name} uses {forbidden}"


# Words from inside the service that a tired supporter would not follow. TAKE 42, OK 42 and DROP 42 are the
# reply commands and "(task 42)" is the number those commands use, so they stay.
INTERNAL_WORDS = ("slot", "#", "pending", "escalat", "claim", "membership", "still open", "capacity", "status")


@pytest.mark.parametrize("name", TEMPLATES)
def test_texts_use_no_internal_words(make_app, name):
    body = render(make_app(), name).lower()
    assert not [word for word in INTERNAL_WORDS if word in body], body
