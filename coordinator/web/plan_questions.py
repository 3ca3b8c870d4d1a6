"""What the treatment plan pages call a day, and the questions they ask before moving or cancelling one.

Each question says in words what will happen ("4 treatment days move 7 days later, with 20 tasks of help";
"2 people who have one of them will get one text"), counted by the service without writing anything.
"""

from __future__ import annotations

from flask import url_for

from coordinator.forms.plans import MoveForm
from coordinator.models.circles import Circle
from coordinator.models.plans import Plan, PlanDay
from coordinator.services.care.plan_changes import plan_change_preview
from coordinator.web.confirming import Confirmation, confirmation_page
from coordinator.web.templating import clock


def day_name(day: PlanDay) -> str:
    what = "Cycle" if day.treatment.kind == "repeating" else "Day" if day.treatment.kind == "course" else ""
    return (
        f"{what} {day.number} ({day.local_date:%a %-d %b})"
        if what
        else f"{day.treatment.label} ({day.local_date:%a %-d %b})"
    )


def move_question(plan: Plan, circle: Circle, day: PlanDay, form: MoveForm, *, following: bool, back: str):
    to, at = form.to.data, form.at.data if form.at.data != day.start_time else None
    change = plan_change_preview(plan=plan, day=day, following=following, to=to, at=at)
    by = (to - day.local_date).days
    shifts = [f"{abs(by)} {'day' if abs(by) == 1 else 'days'} {'later' if by > 0 else 'earlier'}"] if by else []
    shifts += [f"to {clock(at)}"] if at else []
    consequences = [
        f"{change.days} treatment {'day moves' if change.days == 1 else 'days move'} {' and '.join(shifts)}, "
        f"with {change.tasks} {'task' if change.tasks == 1 else 'tasks'} of help.",
        f"{change.told} {'person who has' if change.told == 1 else 'people who have'} one of them will get one text "
        "listing what moved, and will be asked again before the new date."
        if change.told
        else "Nobody has taken any of it yet, so nobody needs to be told.",
    ]
    return confirmation_page(
        Confirmation(
            title=f"Move {day_name(day)} to {to:%a %-d %b}{f' at {clock(at)}' if at else ''}?",
            action=url_for("plans.move", circle_id=circle.id, day_id=day.id),
            button="Yes, move it",
            back=back,
            back_label="No, keep the dates",
            consequences=tuple(consequences),
            fields={
                "to": to.isoformat(),
                "at": at.strftime("%H:%M") if at else "",
                "scope": form.scope.data,
                "confirmed": "y",
            },
            danger=False,
        )
    )


def cancel_question(plan: Plan, circle: Circle, day: PlanDay, *, following: bool, back: str) -> Confirmation:
    change = plan_change_preview(plan=plan, day=day, following=following)
    return Confirmation(
        title=f"Cancel {day_name(day)}{' and every one after it' if following else ''}?",
        action=url_for("plans.cancel", circle_id=circle.id, day_id=day.id),
        button="Yes, cancel them and their help" if following else "Yes, cancel it and its help",
        back=back,
        back_label="No, keep it",
        consequences=(
            f"{change.days} treatment {'day' if change.days == 1 else 'days'} and {change.tasks} "
            f"{'task' if change.tasks == 1 else 'tasks'} of help will be cancelled.",
            f"{change.told} {'person' if change.told == 1 else 'people'} who took some will get one text."
            if change.told
            else "Nobody has taken any of it yet, so nobody needs to be told.",
        ),
        fields={"following": "1" if following else "0"},
    )
