"""Bringing the earlier circle back: importing a CSV or vCard, previewing every line, then confirming."""

from __future__ import annotations

import io
import re
import time
from html import unescape

import pytest
from sqlalchemy import func, select

from coordinator.errors import Conflict, Invalid
from coordinator.extensions import db
from coordinator.models import ImportBatch, Invitation, Message
from coordinator.services.people.contact_files import contacts_read
from coordinator.services.people.imports import import_confirm, import_counts, import_preview, import_stage
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.queries import counting


@pytest.fixture
def circle():
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    circle.coordinator = coordinator
    return circle


@pytest.fixture
def in_request(app):
    """Invitation links are built with url_for, which needs a request (the web and the command have one)."""
    with app.test_request_context():
        yield


def preview(circle, data: bytes | str, filename: str = "contacts.csv") -> list[dict]:
    raw = data.encode() if isinstance(data, str) else data
    return import_preview(circle=circle, rows=contacts_read(data=raw, filename=filename))


def stage(circle, data: bytes | str, filename: str = "contacts.csv", message: str = "", creator=None) -> ImportBatch:
    raw = data.encode() if isinstance(data, str) else data
    creator = creator or circle.coordinator
    batch = import_stage(circle=circle, creator=creator, filename=filename, data=raw, message=message)
    db.session.commit()
    return batch


def by_line(rows: list[dict]) -> dict[int, dict]:
    return {row["line"]: row for row in rows if row["status"] != "note"}


def test_odd_headers_semicolons_and_a_byte_order_mark_are_understood(app, circle):
    data = "\ufeffFull Name;Mobile Phone;E-Mail\nAnn Lee;(202) 555-0101;Ann@Example.org\nBo Chen;;bo@example.org\n"
    rows = by_line(preview(circle, data.encode("utf-8")))
    assert rows[2] == {
        "line": 2,
        "name": "Ann Lee",
        "phone": "+12025550101",
        "email": "ann@example.org",
        "status": "invite",
        "reason": "",
    }
    assert (rows[3]["name"], rows[3]["phone"], rows[3]["email"], rows[3]["status"]) == (
        "Bo Chen",
        "",
        "bo@example.org",
        "invite",
    )


def test_first_and_last_name_columns_are_joined_and_tabs_work(app, circle):
    rows = by_line(preview(circle, "Given Name\tFamily Name\tCell\nAnn\tLee\t202-555-0101\n"))
    assert (rows[2]["name"], rows[2]["phone"]) == ("Ann Lee", "+12025550101")


def test_a_file_without_a_header_is_read_as_name_phone_email(app, circle):
    rows = by_line(preview(circle, "Ann Lee,202-555-0101,ann@example.org\nBo Chen,bo@example.org,202-555-0102\n"))
    assert [(r["name"], r["phone"], r["email"]) for r in rows.values()] == [
        ("Ann Lee", "+12025550101", "ann@example.org"),
        ("Bo Chen", "+12025550102", "bo@example.org"),
    ]


def test_unknown_columns_are_ignored_and_listed_once(app, circle):
    rows = preview(circle, "Name,Birthday,Phone,Notes\nAnn,1 May,202-555-0101,met at church\nBo,,202-555-0102,\n")
    notes = [row for row in rows if row["status"] == "note"]
    assert [n["reason"] for n in notes] == ["Columns not used: Birthday, Notes."]
    assert [(r["name"], r["phone"]) for r in rows if r["status"] == "invite"] == [
        ("Ann", "+12025550101"),
        ("Bo", "+12025550102"),
    ]


def test_malformed_rows_are_reported_and_the_good_rows_kept(app, circle):
    data = (
        "name,phone,email\n"
        'Ann,"202-555-0101,ann@example.org\n'  # a quote that never closes
        "Bo,202-555-0102,bo@example.org\n"
        "Cy\n"  # too few fields
        "Di,202-555-0104,di@example.org,extra,more\n"  # too many
        'Ed,"202-555-0105",ed@example.org\n'
    )
    rows = by_line(preview(circle, data))
    assert sorted(rows) == [2, 3, 4, 5, 6]
    assert rows[2]["status"] == "invite" and "quote mark" in rows[2]["reason"]
    assert rows[3]["status"] == rows[6]["status"] == "invite" and rows[3]["reason"] == ""
    assert rows[4]["status"] == "rejected" and rows[4]["reason"].startswith("No phone number or email.")
    assert rows[5]["status"] == "invite" and "5 values; the header has 3" in rows[5]["reason"]


def test_emoji_and_right_to_left_names_are_kept_exactly(app, circle):
    names = ["Zoë 🌻 Okafor", "سارة الحسيني", "שרה כהן", "👩🏽‍⚕️ Dr. Mei"]
    data = "name,phone\n" + "".join(f"{name},202-555-01{n:02d}\n" for n, name in enumerate(names, 10))
    rows = preview(circle, data.encode("utf-8"))
    assert [row["name"] for row in rows] == names
    assert {row["status"] for row in rows} == {"invite"}


def test_control_characters_in_a_name_are_refused_and_shown_visibly(app, circle):
    rows = by_line(preview(circle, "name,phone\nAnn\x07Lee,202-555-0101\nBo\x1bChen,202-555-0102\nCy,202-555-0103\n"))
    assert rows[2]["status"] == rows[3]["status"] == "rejected"
    assert "control characters" in rows[2]["reason"]
    assert rows[2]["name"] == "Ann\u2407Lee"  # the bell made visible, never stored raw
    assert rows[4]["status"] == "invite"


def test_duplicates_within_the_file_point_at_the_first_line(app, circle):
    data = (
        "name,phone,email\n"
        "Ann,202-555-0101,\n"
        "Ann again,+1 (202) 555 0101,\n"
        "Bo,,bo@example.org\n"
        "Bo work,202-555-0102,BO@example.org\n"
    )
    rows = by_line(preview(circle, data))
    assert (rows[3]["status"], rows[3]["reason"]) == ("duplicate", "Same number as line 2.")
    assert (rows[5]["status"], rows[5]["reason"]) == ("duplicate", "Same email as line 4.")
    assert rows[2]["status"] == rows[4]["status"] == "invite"


def test_people_already_in_the_circle_are_marked_members(app, circle):
    add_member(circle, make_user(name="Ann Lee", email=None, phone="+12025550101"))
    add_member(circle, make_user(name="Bo", email="bo@example.org"))
    gone = add_member(circle, make_user(name="Cy", email=None, phone="+12025550103"))
    gone.status = "removed"
    db.session.commit()
    rows = by_line(preview(circle, "name,phone,email\nAnn,202-555-0101,\nBo,,bo@example.org\nCy,202-555-0103,\n"))
    assert [rows[n]["status"] for n in (2, 3, 4)] == ["member", "member", "invite"]


def test_a_landline_or_no_contact_at_all_is_rejected_with_the_reason(app, circle):
    data = (
        "name,phone,email\nAnn,+44 20 7946 0018,\nBo,800-555-0199,\nCy,,\nDi,12,\nEd,+44 20 7946 0018,ed@example.org\n"
    )
    rows = by_line(preview(circle, data))
    assert rows[2]["status"] == rows[3]["status"] == "rejected"
    assert "can't get texts" in rows[2]["reason"] and "can't get texts" in rows[3]["reason"]
    assert (rows[4]["status"], rows[4]["reason"]) == ("rejected", "No phone number or email.")
    assert rows[5]["status"] == "rejected" and "isn't valid" in rows[5]["reason"]
    # A good email beside a bad number still gets an invitation, by email.
    assert (rows[6]["status"], rows[6]["phone"], rows[6]["email"]) == ("invite", "", "ed@example.org")
    assert "Will invite by email instead." in rows[6]["reason"]


def test_a_windows_1252_file_is_read(app, circle):
    rows = by_line(preview(circle, "Name;Handy\nJürgen Müller;202-555-0101\n".encode("cp1252")))
    assert (rows[2]["name"], rows[2]["phone"]) == ("Jürgen Müller", "+12025550101")


def test_a_phone_vcard_export_with_folded_lines_and_groups(app, circle):
    data = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann\r\n  Lee\r\n"
        "item1.TEL;type=HOME;type=VOICE:202-555-0100\r\n"
        "item2.TEL;type=CELL;type=pref:+1 (202) 555-\r\n 0101\r\n"
        "item3.EMAIL;type=INTERNET:ann@example.org\r\nitem3.X-ABLabel:_$!<Home>!$_\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n=C3=BCrgen;;;\r\n"
        "TEL;CELL:2025550102\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:\u05e9\u05e8\u05d4\r\nTEL;VALUE=uri;TYPE=cell:tel:+1-202-555-0103\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody Reachable\r\nEND:VCARD\r\n"
    )
    rows = preview(circle, data.encode("utf-8"), filename="Contacts.vcf")
    assert [(r["line"], r["name"], r["phone"], r["email"], r["status"]) for r in rows] == [
        (1, "Ann Lee", "+12025550101", "ann@example.org", "invite"),
        (12, "Jürgen Müller", "+12025550102", "", "invite"),
        (18, "שרה", "+12025550103", "", "invite"),
        (23, "Nobody Reachable", "", "", "rejected"),
    ]


def test_files_that_are_not_contact_lists_or_are_too_big_are_refused(app, circle):
    with pytest.raises(Invalid) as empty:
        stage(circle, "name,phone\n")
    with pytest.raises(Invalid) as binary:
        stage(circle, bytes(range(256)) * 20, filename="photo.csv")
    with pytest.raises(Invalid) as huge:
        stage(circle, b"x" * (2 * 1024 * 1024 + 1))
    with pytest.raises(Invalid) as too_many:
        stage(circle, "".join(f"P{n},202-555-{n % 10000:04d}\n" for n in range(20_001)))
    assert {e.value.field for e in (empty, binary, huge, too_many)} == {"file"}
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_ten_thousand_rows_preview_in_seconds_with_a_fixed_number_of_queries(app, circle):
    add_member(circle, make_user(email=None, phone="+12025550007"))

    def rows(count: int) -> str:
        return "Name,Mobile,Email\n" + "".join(f"Person {n},202-555-{n:04d},\n" for n in range(count))

    with counting(db.engine) as small:
        stage(circle, rows(10))
    started = time.monotonic()
    with counting(db.engine) as big:
        batch = stage(circle, rows(10_000))
    elapsed = time.monotonic() - started
    assert len(small) == len(big) <= 6, big
    assert elapsed < 20, f"10,000 rows took {elapsed:.1f}s"
    assert import_counts(batch.rows) == {"invite": 9_999, "member": 1, "duplicate": 0, "rejected": 0}


def test_nothing_is_sent_until_the_coordinator_confirms(app, circle):
    stage(circle, "name,phone\nAnn,202-555-0101\nBo,202-555-0102\n")
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_confirming_invites_each_row_once_and_a_second_confirm_is_refused(app, circle, in_request):
    add_member(circle, make_user(email=None, phone="+12025550103"))
    data = "name,phone,email\nAnn,202-555-0101,\nBo,,bo@example.org\nCy,202-555-0103,\nAnn,202-555-0101,\nDi,12,\n"
    batch = stage(circle, data, message="We're gathering again for Maria.")
    counts = import_confirm(batch=batch, inviter=circle.coordinator)
    db.session.commit()
    assert counts == {"sent": 2, "reused": 0, "member": 1}
    invitations = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert [(i.name, i.phone, i.email) for i in invitations] == [
        ("Ann", "+12025550101", None),
        ("Bo", None, "bo@example.org"),
    ]
    messages = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.channel, m.kind, m.to_address, m.status) for m in messages] == [
        ("sms", "invitation", "+12025550101", "pending"),
        ("email", "invitation", "bo@example.org", "pending"),
    ]
    assert "We're gathering again for Maria." in messages[0].body
    assert batch.confirmed_at is not None
    with pytest.raises(Conflict):
        import_confirm(batch=batch, inviter=circle.coordinator)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_a_live_invitation_is_reused_not_sent_again(app, circle, in_request):
    first = stage(circle, "name,phone\nAnn,202-555-0101\n")
    import_confirm(batch=first, inviter=circle.coordinator)
    db.session.commit()
    second = stage(circle, "name,phone\nAnn,202-555-0101\nBo,202-555-0102\n")
    assert by_line(second.rows)[2]["reason"] == "Has an invitation already; it will be reused."
    assert import_confirm(batch=second, inviter=circle.coordinator) == {"sent": 1, "reused": 1, "member": 0}
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


@pytest.fixture
def coordinator_client(client, circle):
    client.sign_in(circle.coordinator.email, PASSWORD)
    return client


def upload(client, circle, data: bytes, filename: str = "contacts.csv", message: str = "Come back, friends."):
    return client.post(
        f"/circles/{circle.id}/invitations/import",
        {"file": (io.BytesIO(data), filename), "message": message},
        content_type="multipart/form-data",
    )


def test_upload_preview_and_confirm_on_the_web(coordinator_client, circle):
    client = coordinator_client
    form = client.get(f"/circles/{circle.id}/invitations/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and "gathering the people" in form
    data = "Name,Mobile,Notes\nسارة,202-555-0101,<b>x</b>\n<script>alert(1)</script>,202-555-0102,\nBad,12,\n"
    response = upload(client, circle, data.encode())
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'dir="auto">سارة</td>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "Columns not used: Notes." in html and "isn&#39;t valid" in html
    assert "Send 2 invitations" in html
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    batch = db.session.scalar(select(ImportBatch))
    confirm_url = f"/circles/{circle.id}/invitations/import/{batch.id}/confirm"
    done = client.post(confirm_url, form_url=response.headers["Location"])
    assert done.status_code == 302
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Sent 2 invitations (0 reused, 0 already members)." in after
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.kind == "invitation")) == 2
    again = client.post(confirm_url, form_url=response.headers["Location"])
    assert "already sent" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_each_line_of_the_preview_carries_its_outcome_and_reason_in_its_own_row(coordinator_client, circle):
    data = "Name,Mobile,Email\nAnn,202-555-0101,\nBad,12,\nNobody,,\nAnn again,202-555-0101,\n"
    page = coordinator_client.get(upload(coordinator_client, circle, data.encode()).headers["Location"])
    html = page.get_data(as_text=True)
    assert 'class="import-table card-table"' in html and "table-scroll" not in html  # cards on a phone, no side-scroll
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    lines = {}
    for row in body.split("<tr ")[1:]:
        cells = dict(re.findall(r'data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S))
        words = {label: " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split()) for label, text in cells.items()}
        lines[words["Line"]] = words
    assert set(lines) == {"2", "3", "4", "5"}
    assert lines["2"]["What happens"] == "Will invite"
    assert lines["3"]["What happens"].startswith("Not sent ") and "isn't valid" in lines["3"]["What happens"]
    assert lines["4"]["What happens"].startswith("Not sent ") and len(lines["4"]["What happens"]) > len("Not sent ")
    assert lines["5"]["What happens"].startswith("Duplicate ") and "line 2" in lines["5"]["What happens"]
    assert lines["4"]["Mobile"] == "–" and lines["4"]["Email"] == "–"


def test_bad_uploads_are_shown_by_the_field_with_422(coordinator_client, circle):
    url = f"/circles/{circle.id}/invitations/import"
    missing = coordinator_client.post(url, {"message": "hi"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose a CSV or vCard" in missing.get_data(as_text=True)
    binary = upload(coordinator_client, circle, bytes(range(256)) * 10, filename="photo.png")
    assert binary.status_code == 422 and "look like a contact list" in binary.get_data(as_text=True)
    long = upload(coordinator_client, circle, b"Ann,202-555-0101\n", message="x" * 700)
    assert long.status_code == 422 and "under 600 characters" in long.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_supporters_strangers_and_other_circles_get_404(client, circle):
    batch = stage(circle, "name,phone\nAnn,202-555-0101\n")
    supporter = make_user()
    add_member(circle, supporter)
    other_coordinator = make_user()
    make_circle(coordinator=other_coordinator)
    base = f"/circles/{circle.id}/invitations/import"
    for person in (supporter, other_coordinator):
        client.sign_in(person.email, PASSWORD)
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/{batch.id}").status_code == 404
        assert client.post(f"{base}/{batch.id}/confirm", form_url="/account").status_code == 404
        client.sign_out()
    client.sign_in(circle.coordinator.email, PASSWORD)
    theirs = stage(make_circle(coordinator=other_coordinator), "Bo,202-555-0102\n", creator=other_coordinator)
    assert client.get(f"{base}/{theirs.id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_command_previews_then_sends_with_yes(app, runner, circle, tmp_path):
    path = tmp_path / "old-circle.csv"
    rows = "".join(f"Person {n},202-555-{n:04d}\n" for n in range(450))
    path.write_text("Name,Phone\n" + rows + "Landline,+44 20 7946 0018\n", encoding="utf-8")
    args = ["invite-import", "--circle", str(circle.id), "--inviter", circle.coordinator.email, str(path)]
    dry = runner.invoke(args=args)
    assert dry.exit_code == 0, dry.output
    assert "450 will invite, 0 already members, 0 duplicates, 1 not sent" in dry.output
    assert "line   452  Landline: That number can't get texts" in dry.output
    assert "Nothing was sent" in dry.output
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    sent = runner.invoke(args=[*args, "--message", "We're back.", "--yes"])
    assert sent.exit_code == 0, sent.output
    assert "Sent 450 invitations (0 reused, 0 already members)." in sent.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.channel == "sms")) == 450
    assert "http://localhost/i/" in db.session.scalar(select(Message.body).limit(1))
    again = runner.invoke(args=[*args, "--yes"])
    assert "Sent 0 invitations (450 reused, 0 already members)." in again.output
    assert db.session.scalar(select(func.count()).select_from(Message)) == 450


def test_the_command_refuses_someone_who_is_not_a_coordinator(app, runner, circle, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Ann,202-555-0101\n")
    outsider = make_user()
    result = runner.invoke(args=["invite-import", "--circle", str(circle.id), "--inviter", outsider.email, str(path)])
    assert result.exit_code != 0 and "is not a coordinator" in result.output


def test_a_crash_during_the_command_keeps_what_was_saved_and_a_rerun_finishes(
    app, runner, circle, tmp_path, monkeypatch
):
    import coordinator.services.people.imports as imports

    path = tmp_path / "old-circle.csv"
    path.write_text("".join(f"Person {n},202-555-{n:04d}\n" for n in range(450)), encoding="utf-8")
    args = ["invite-import", "--circle", str(circle.id), "--inviter", circle.coordinator.email, str(path), "--yes"]
    real, calls = imports.invitation_send, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 301:
            raise RuntimeError("the power went out")
        return real(**kwargs)

    monkeypatch.setattr(imports, "invitation_send", flaky)
    crashed = runner.invoke(args=args)
    assert isinstance(crashed.exception, RuntimeError) and "Stopped after 200 invitations" in crashed.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 200
    monkeypatch.setattr(imports, "invitation_send", real)
    finished = runner.invoke(args=args)
    assert "Sent 250 invitations (200 reused, 0 already members)." in finished.output
    assert db.session.scalar(select(func.count()).select_from(Message)) == 450
