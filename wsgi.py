"""The WSGI entry point: `gunicorn wsgi:app` (`feedback serve` builds the same app in each of its workers). Each
process that serves it sends webhooks and mails and keeps the daily roll-ups, started by its first request."""

from feedback import create_app
from feedback.analysis.rollup_keeper import keep_rolled_up
from feedback.notifications.services import dispatch_from_each_process as send_mails_from_each_process
from feedback.webhooks.delivery import dispatch_from_each_process

app = create_app()
dispatch_from_each_process(app)
send_mails_from_each_process(app)
keep_rolled_up(app, start_now=False)
