"""Texting: every text and email the circle sends or receives. The outbox, delivering it (quiet hours,
crash recovery), replies by text, reminders, weekly digests, and the coordinators' message log."""
