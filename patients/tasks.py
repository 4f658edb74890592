from celery import shared_task

from patients import services


@shared_task(
    name=services.INVITATION_SEND_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def invitation_send_task(invitation_id: str) -> bool:
    return services.invitation_send(invitation_id=invitation_id)
