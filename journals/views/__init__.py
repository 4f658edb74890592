"""The patient's journal pages: ``today`` (Today and the two check-ins), ``history``
(entries by day, edit and delete) and ``trends`` (charts and summary)."""
