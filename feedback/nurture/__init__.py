"""Nurture mails: a workspace's sequence of mails to consented leads below the threshold, each with a personal code."""
