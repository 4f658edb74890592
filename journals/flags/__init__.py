"""Safety flags and the clinician's review: the rules (``rules``), their evaluation
(``services``), the triage list (``triage``) and the clinician's patient page."""
