"""Taking your data out: a person's own records, or a circle's, as CSV and JSON files in one ZIP.

The archive is written as it is read (services/privacy/archive.py): rows come from
the database a batch at a time and go straight into the ZIP, so an export of a
circle with years of messages needs no more memory than one with a week's.
"""
