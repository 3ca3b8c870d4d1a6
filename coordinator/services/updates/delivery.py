"""Telling people there is news, each the way they chose, never with the news itself in a text.

Each member picks (My preferences) how to hear of updates: a short text with a link
(at most one a day, however many updates that day: a burst is one text), an email for
each update (its words too, if the patient chose so; else only a link), a line in the
weekly summary, or nothing. Not chosen: a text if we may text them, else an email.
A text only says that there is news and gives a link that signs its one reader in for
UPDATE_LINK_DAYS; it never carries the update's words or anything medical. The
dispatcher keeps texts out of each person's quiet hours.
"""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from coordinator.clock import local, now
from coordinator.errors import Expired
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import Circle, Membership, MembershipStatus
from coordinator.models.messages import Message
from coordinator.models.updates import Update, UpdateLink, UpdatesBy, UpdateStatus
from coordinator.services.texting.messages import message_queue
from coordinator.services.texting.quiet_hours import zone_for
from coordinator.services.updates.reading import readable, readers
from coordinator.sms.segments import gsm_plain, segments
from coordinator.tokens import token_hash, token_new
from coordinator.urls import public_url

UPDATE_LINK_DAYS = 14
WEEKLY_DAY = 6  # Sunday, beside the weekly digest
WEEKLY_HOURS = range(16, 19)


def updates_by(member: Membership) -> str:
    """How this member hears of updates: their choice, else a text if we may text them, else email."""
    if member.updates_by:
        return member.updates_by
    user = member.user
    if user.can_text:
        return UpdatesBy.TEXT
    return UpdatesBy.EMAIL if user.email and user.email_enabled else UpdatesBy.NONE


def link_new(member: Membership, *, update_id: int | None = None) -> str:
    """A fresh link that signs this member in and opens their circle's updates (or one update)."""
    token = token_new()
    db.session.add(
        UpdateLink(
            membership_id=member.id,
            update_id=update_id,
            token_hash=token_hash(token),
            created_at=now(),
            expires_at=now() + timedelta(days=UPDATE_LINK_DAYS),
        )
    )
    return public_url("updates.link", token=token)


def _key_used(key: str) -> bool:
    return bool(db.session.scalar(select(exists().where(Message.idempotency_key == key))))


def news_text(circle: Circle, url: str) -> str:
    """The text: that there is news, and the link; the NOTE hint only while it all fits one text."""
    body = render_template("sms/update_news.txt", circle_name=circle.name, url=url, note_hint=True).strip()
    if segments(gsm_plain(body)).count > 1:
        body = render_template("sms/update_news.txt", circle_name=circle.name, url=url, note_hint=False).strip()
    return body


def update_deliver(update: Update, circle: Circle) -> int:
    """Queue what each member who may read a newly published update chose to get; returns how many."""
    members = db.session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.user))
        .where(readers(update), Membership.user_id != (update.author_id or 0), User.deleted_at.is_(None))
        .order_by(Membership.id)
    ).all()
    queued = 0
    for member in members:
        choice = updates_by(member)
        user = member.user
        if choice == UpdatesBy.TEXT and user.can_text:
            queued += _text(member, circle)
        elif choice == UpdatesBy.EMAIL or (choice == UpdatesBy.TEXT and user.email and user.email_enabled):
            queued += _email(member, circle, update)
    return queued


def _text(member: Membership, circle: Circle) -> int:
    user = member.user
    day = local(now(), zone_for(user, circle.timezone)).date()
    key = f"update-news:{member.id}:{day.isoformat()}"  # one a day, however many updates
    if _key_used(key):
        return 0
    return int(
        message_queue(
            channel="sms",
            to_address=user.phone,
            kind="update_news",
            key=key,
            body=news_text(circle, link_new(member)),
            user_id=user.id,
            circle_id=circle.id,
            send_by=now() + timedelta(days=2),
        )
    )


def _email(member: Membership, circle: Circle, update: Update) -> int:
    user = member.user
    if not (user.email and user.email_enabled):
        return 0
    key = f"update-email:{update.id}:{member.id}"
    if _key_used(key):
        return 0
    body = render_template(
        "email/update.txt",
        circle=circle,
        update=update,
        full=circle.updates_email_full,
        url=link_new(member, update_id=update.id),
        first_name=user.first_name,
    ).strip()
    return int(
        message_queue(
            channel="email",
            to_address=user.email,
            kind="update_email",
            key=key,
            body=body,
            subject=f"{circle.name}: a new update",
            user_id=user.id,
            circle_id=circle.id,
        )
    )


def weekly_news_send() -> int:
    """On Sunday afternoon in each person's zone, one text about the week's updates for those who chose weekly.

    It shares the weekly digest's key: someone whose digest already went this week got the news in it.
    """
    moment = now()
    week = moment.isocalendar()
    members = db.session.scalars(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.circle), contains_eager(Membership.user))
        .where(
            Membership.status == MembershipStatus.ACTIVE,
            Membership.updates_by == UpdatesBy.WEEKLY,
            Circle.closed_at.is_(None),
        )
        .order_by(Membership.id)
    ).all()
    queued = 0
    for member in members:
        user = member.user
        wall = local(moment, zone_for(user, member.circle.timezone))
        if wall.weekday() != WEEKLY_DAY or wall.hour not in WEEKLY_HOURS or not user.can_text:
            continue
        key = f"digest:{member.id}:{week.year}-W{week.week:02d}"
        if _key_used(key):
            continue
        count = week_count(member)
        if not count:
            continue
        body = render_template(
            "sms/update_week.txt", circle_name=member.circle.name, count=count, url=link_new(member)
        ).strip()
        queued += int(
            message_queue(
                channel="sms",
                to_address=user.phone,
                kind="update_week",
                key=key,
                body=body,
                user_id=user.id,
                circle_id=member.circle_id,
                send_by=moment + timedelta(hours=12),
            )
        )
    return queued


def week_count(member: Membership) -> int:
    """How many updates this member may read were published in the last seven days."""
    return db.session.scalar(
        select(func.count(Update.id)).where(
            readable(member),
            Update.status == UpdateStatus.PUBLISHED,
            Update.published_at > now() - timedelta(days=7),
        )
    )


def weekly_line(member: Membership) -> str:
    """The line the weekly digest adds for someone who chose weekly news ("" if there is none)."""
    if member.updates_by != UpdatesBy.WEEKLY:
        return ""
    count = week_count(member)
    if not count:
        return ""
    noun = "update" if count == 1 else "updates"
    return f"{count} new {noun}: {link_new(member)}"


def link_open(token: str) -> tuple[Membership, int | None]:
    """Whose texted or emailed link this is and which update it opens (None: the list); Expired when it's over."""
    expired = Expired("This link has expired. Sign in with your phone number to read the updates.")
    if not token or len(token) > 100:
        raise expired
    link = db.session.scalar(select(UpdateLink).where(UpdateLink.token_hash == token_hash(token)))
    if link is None or link.expires_at <= now():
        raise expired
    member = db.session.get(Membership, link.membership_id)
    if member is None or member.status != MembershipStatus.ACTIVE or member.circle.closed_at is not None:
        raise Expired("This circle's updates aren't open to you any more.")
    return member, link.update_id
