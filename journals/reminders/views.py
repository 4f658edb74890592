"""The link at the foot of every reminder email: turn that reminder off, no sign-in."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from journals.models import ReminderKind
from journals.reminders.compose import unsubscribe_read
from journals.reminders.services import reminder_turn_off

WHAT = {
    ReminderKind.EVENING: "evening check-in reminders",
    ReminderKind.MORNING: "morning sleep diary reminders",
    ReminderKind.FOLLOW_UP: "notes after a quiet spell",
    ReminderKind.DIGEST: "the clinician's morning summary",
}


# The signed link is the authority, not a session: mail clients send RFC 8058's one-click
# POST with neither a cookie nor a CSRF token. A GET only shows the button, because mail
# scanners open links.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_off(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    if found is None:
        raise Http404
    person, kind = found
    done = request.method == "POST"
    if done:
        reminder_turn_off(person=person, kind=kind)
    return render(
        request,
        "journals/reminder_off.html",
        {"what": WHAT[kind], "done": done, "is_digest": kind == ReminderKind.DIGEST},
    )
