"""The clinic-scale data set of issue #8: 2,000 patients in 5 clinics, a year of journals each.

Per patient and day: one pain entry in the evening, one sleep diary for the night, one to
three use entries (kratom leaf; alcohol with the evening dose on about one day in thirty),
and a PEG assessment once a week: over three million rows. Each clinic has four clinicians;
the first is on the care team of all 400 of the clinic's patients (the "400-patient
clinician" of the benchmark), the others share the patients out. Some patients carry open,
acknowledged and resolved flags, and reviews, so the triage page has work to show.

The journals are written by PostgreSQL itself, ``INSERT … SELECT`` over ``generate_series``
(a bulk insert that never leaves the server), with ``setseed`` for the same data every run.
People go through the app's own services, except patients' password hashes: one Argon2 hash
is computed and shared, since 2,000 hashes at 150 ms each would take five minutes.

``load(Scale(...))`` needs Django set up on a PostgreSQL database; it empties the people
and journals first. ``tests/test_query_plans.py`` uses a smaller scale of the same shape.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PASSWORD = "bench-password-2026"  # noqa: S105 (a benchmark's throwaway accounts)
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kuala_Lumpur",
    "Australia/Sydney",
]


@dataclass(frozen=True)
class Scale:
    patients: int = 2_000
    clinics: int = 5
    clinicians_per_clinic: int = 4
    days: int = 365


def patient_email(n: int) -> str:
    return f"patient{n:05d}@bench.mitra.test"


def clinician_email(clinic: int, k: int) -> str:
    return f"clinician{clinic}-{k}@bench.mitra.test"


def load(scale: Scale, *, today: date | None = None) -> dict[str, int]:
    """Empty the people and journals, load ``scale``; returns rows per table."""
    from django.db import connection, transaction

    today = today or datetime.now(UTC).date()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE patients_user, patients_clinic CASCADE")
        cursor.execute("SELECT setseed(0.2026)")
        _people(cursor, scale)
        params = {"first": today - timedelta(days=scale.days), "last": today - timedelta(days=1)}
        for statement in (_PAIN, _SLEEP, _USE, _PEG, _FLAGS, _REVIEWS):
            cursor.execute(statement, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        counts = {}
        for table in _COUNTED:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
            counts[table] = cursor.fetchone()[0]
    return counts


_COUNTED = [
    "patients_user",
    "patients_careteammembership",
    "journals_painentry",
    "journals_sleepentry",
    "journals_useentry",
    "journals_pegassessment",
    "journals_flag",
    "journals_review",
]


def _people(cursor: object, scale: Scale) -> None:
    """Clinics and clinicians through the services; patients and care teams in SQL. The
    clinic's first clinician is on every patient's team, one other clinician in turn."""
    from django.contrib.auth.hashers import make_password

    from patients import services
    from patients.models import Clinic

    clinics = [Clinic.objects.create(name=f"Bench clinic {c + 1}") for c in range(scale.clinics)]
    for c, clinic in enumerate(clinics):
        for k in range(scale.clinicians_per_clinic):
            clinician = services.clinician_create(
                clinic=clinic,
                email=clinician_email(c + 1, k + 1),
                password=PASSWORD,
                display_name=f"Clinician {c + 1}-{k + 1}",
                title="Physician",
                timezone_name=ZONES[c % len(ZONES)],
            )
            services.mfa_totp_enrol(user=clinician)
    params = {
        "hash": make_password(PASSWORD),
        "patients": scale.patients,
        "zones": ZONES,
        "zone_count": len(ZONES),
        "clinics": scale.clinics,
        "per_clinic": scale.clinicians_per_clinic,
    }
    for statement in _PEOPLE.split(";"):
        cursor.execute(statement, params)  # type: ignore[attr-defined]


_PEOPLE = """
        INSERT INTO patients_user
            (id, password, is_superuser, email, role, display_name, is_active, is_staff,
             date_joined)
        SELECT gen_random_uuid(), %(hash)s, false,
               format('patient%%s@bench.mitra.test', lpad(n::text, 5, '0')),
               'patient', format('Patient %%s', n), true, false, now() - interval '400 days'
        FROM generate_series(1, %(patients)s) AS n;

        INSERT INTO patients_patientprofile (user_id, clinic_id, timezone, date_of_birth)
        SELECT u.id, c.id, (%(zones)s::text[])[1 + n %% %(zone_count)s],
               date '1950-01-01' + (n * 37 %% 15000)
        FROM (SELECT id, substring(email from 8 for 5)::int AS n FROM patients_user
              WHERE role = 'patient') AS u
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM patients_clinic) AS c
          ON c.i = u.n %% %(clinics)s;

        INSERT INTO patients_careteammembership
            (id, patient_id, clinician_id, consent_granted_at, created_at)
        SELECT gen_random_uuid(), p.user_id, cp.user_id, now() - interval '300 days',
               now() - interval '300 days'
        FROM (SELECT user_id, clinic_id,
                     row_number() OVER (PARTITION BY clinic_id ORDER BY user_id) AS i
              FROM patients_patientprofile) AS p
        JOIN (SELECT user_id, clinic_id,
                     row_number() OVER (PARTITION BY clinic_id ORDER BY u.email) - 1 AS k
              FROM patients_clinicianprofile JOIN patients_user u ON u.id = user_id) AS cp
          ON cp.clinic_id = p.clinic_id
         AND (cp.k = 0 OR cp.k = 1 + p.i %% (%(per_clinic)s - 1))
"""


# Local wall times are placed in each patient's own zone: (day + time) AT TIME ZONE zone.
_DAYS = """
    FROM patients_patientprofile AS p
    CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS g(day)
"""

_PAIN = f"""
    INSERT INTO journals_painentry
        (id, patient_id, recorded_at, intensity, locations, note, created_at, updated_at)
    SELECT gen_random_uuid(), p.user_id, t, least(10, greatest(0, round(5 + random() * 4 - 2))),
           '["lower_back"]'::jsonb, '', t, t
    FROM (SELECT p.user_id,
                 (g.day + time '20:30' + random() * interval '90 minutes') AT TIME ZONE p.timezone
                 AS t
          {_DAYS}) AS p
"""  # noqa: S608 (built from constants only)

_SLEEP = f"""
    INSERT INTO journals_sleepentry
        (id, patient_id, night_of, bedtime, lights_out_at, sleep_onset_latency_min, awakenings,
         wake_after_sleep_onset_min, final_wake_at, rise_at, quality, note, created_at,
         updated_at)
    SELECT gen_random_uuid(), user_id, day, bed, bed + interval '10 minutes',
           (5 + random() * 40)::int, (random() * 4)::int, (random() * 60)::int,
           wake, wake + interval '15 minutes', 1 + (random() * 4)::int, '', wake, wake
    FROM (SELECT p.user_id, g.day::date AS day,
                 (g.day + time '22:30' + random() * interval '60 minutes') AT TIME ZONE p.timezone
                 AS bed,
                 (g.day + interval '1 day' + time '06:00' + random() * interval '60 minutes')
                 AT TIME ZONE p.timezone AS wake
          {_DAYS}) AS s
"""  # noqa: S608 (built from constants only)

# One to three kratom doses a day (morning, afternoon, evening), and on about one day in
# thirty a drink with the evening dose (co-use).
_USE = f"""
    INSERT INTO journals_useentry
        (id, patient_id, taken_at, substance, amount, unit, form, mixed_with, product, reason,
         note, created_at, updated_at)
    SELECT gen_random_uuid(), user_id, t, substance, amount, unit, form, 'water', '', reason,
           '', t, t
    FROM (
        SELECT p.user_id, (g.day + d.at) AT TIME ZONE p.timezone AS t, 'kratom' AS substance,
               round((1 + random() * 5)::numeric, 1) AS amount, 'g' AS unit, 'powder' AS form,
               d.reason
        {_DAYS}
        CROSS JOIN (VALUES (1, time '08:00', 'pain'), (2, time '14:00', 'pain'),
                           (3, time '21:30', 'sleep')) AS d(n, at, reason)
        WHERE d.n <= 1 + (abs(hashtext(p.user_id::text || g.day::text)) %% 3)
        UNION ALL
        SELECT p.user_id, (g.day + time '21:45') AT TIME ZONE p.timezone, 'alcohol',
               1 + (random() * 2)::int, 'standard_drink', 'liquid', 'other'
        {_DAYS}
        WHERE random() < 1.0 / 30
    ) AS u
"""  # noqa: S608 (built from constants only)

_PEG = f"""
    INSERT INTO journals_pegassessment
        (id, patient_id, recorded_at, pain_average, enjoyment_interference,
         activity_interference, note, created_at, updated_at)
    SELECT gen_random_uuid(), p.user_id, t, (3 + random() * 5)::int, (2 + random() * 6)::int,
           (2 + random() * 6)::int, '', t, t
    FROM (SELECT p.user_id, (g.day + time '19:00') AT TIME ZONE p.timezone AS t
          {_DAYS}
          WHERE extract(isodow FROM g.day) = 7) AS p
"""  # noqa: S608 (built from constants only)

# A third of patients have an open co-use flag, one in ten an open high one; older flags
# were acknowledged or resolved.
_FLAGS = """
    INSERT INTO journals_flag
        (id, patient_id, rule, severity, status, window_start, window_end, evidence,
         acknowledgement_note, resolution_note, created_at, updated_at, acknowledged_at,
         resolved_at)
    SELECT gen_random_uuid(), user_id, rule, severity, status, %(last)s::date - age,
           %(last)s::date - age, '[]'::jsonb, '', '', at, at,
           CASE WHEN status <> 'open' THEN at + interval '1 day' END,
           CASE WHEN status = 'resolved' THEN at + interval '2 days' END
    FROM (
        SELECT user_id, f.rule, f.severity, f.status, f.age,
               (%(last)s::date - f.age)::timestamp AT TIME ZONE 'UTC' + interval '12 hours' AS at
        FROM patients_patientprofile
        CROSS JOIN (VALUES ('co_use', 'medium', 'open', 3, 3),
                           ('high_daily_total', 'high', 'open', 1, 10),
                           ('poor_sleep', 'low', 'acknowledged', 40, 2),
                           ('co_use', 'medium', 'resolved', 90, 2)) AS f(rule, severity, status,
                                                                         age, one_in)
        WHERE abs(hashtext(user_id::text || f.rule || f.status)) %% f.one_in = 0
    ) AS flags
"""

_REVIEWS = """
    INSERT INTO journals_review (id, patient_id, clinician_id, reviewed_at, note)
    SELECT gen_random_uuid(), m.patient_id, m.clinician_id,
           %(last)s::date - (r.age || ' days')::interval, 'Reviewed the journal.'
    FROM patients_careteammembership AS m
    CROSS JOIN (VALUES (7), (35), (90)) AS r(age)
"""
