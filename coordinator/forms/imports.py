"""The form for importing an old contact list: the file, and the words sent with each invitation.

Only the shape is checked here (a file was chosen, the message isn't too long); reading the
file and judging each line is services/people/imports.py's work.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import Length

from coordinator.services.people.invitations import MESSAGE_MAX


class ImportForm(FlaskForm):
    file = FileField(
        "Contacts file",
        validators=[FileRequired("Choose a CSV or vCard (.vcf) file.")],
        description="A spreadsheet saved as CSV (name, phone, email), or contacts exported from your phone as "
        "a vCard (.vcf). Up to 2 MB.",
        render_kw={"accept": ".csv,.vcf,.vcard,.txt,text/csv,text/vcard"},
    )
    message = TextAreaField(
        "Your message",
        validators=[Length(max=MESSAGE_MAX, message=f"Keep the message under {MESSAGE_MAX} characters.")],
        description="Sent with your name, the circle's name and the link to join.",
    )
