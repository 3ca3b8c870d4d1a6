"""People: who is in a circle and how they got there. Accounts, sign-in (sessions, texted codes), circles and
their members, invitations, joining, contact imports, phone numbers, and a new circle's first steps."""
