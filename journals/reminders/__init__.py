"""Reminders and digests: who is due (``due``), handing them out (``dispatch``), sending each
one exactly once (``send``) and what they say (``compose``).

Every minute a dispatcher run looks at the window (now - CATCH_UP, now] and, with a few
set-based queries, writes one ``Delivery`` row per person, kind and local date that is due in
it. The row's unique key makes that step idempotent: a second beat, an overlapping run or a
retry adds nothing. Workers then send each row: a conditional UPDATE claims it with a lease,
so a redelivered message finds it taken; a worker that dies leaves a lease that expires, and
a later dispatcher run hands the row out again.

On PostgreSQL the large sets travel as arrays (the patients are joined to the windows, the
rows written by one INSERT); any other database (SQLite under ``make run``) takes plain ORM
queries that give the same answers (tests/journals/test_reminders_portable.py).

Local times follow ``datetime.combine(day, clock, tzinfo=zone)`` (fold=0): a time in the hour
skipped in spring is sent at the same instant as the local time an hour earlier would be in
winter (02:30 → 03:30 summer time), and a time in the hour repeated in autumn at its first
occurrence. Either way once, because the row is keyed on the local date.
"""
