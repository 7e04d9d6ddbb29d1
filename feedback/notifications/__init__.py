"""E-mail alerts and weekly digests: a durable outbox of mails, sent over SMTP after the commit that wrote them."""
