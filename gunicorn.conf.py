"""What `gunicorn wsgi:app`, started from the project folder, reads first: the same logging rules as `feedback serve`
(no client address and no secret from a link in the logs; feedback/logs.py)."""

logger_class = "feedback.logs.PrivateLogger"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
