"""The WSGI entry point: `gunicorn wsgi:app` (`feedback serve` builds the same app in each of its workers)."""

from feedback import create_app
from feedback.notifications.services import dispatch_from_each_process as send_mails_from_each_process
from feedback.webhooks.delivery import dispatch_from_each_process

app = create_app()
dispatch_from_each_process(app)
send_mails_from_each_process(app)
