"""Referral invites: personal codes, /i links, attribution, acceptances and the chain they start."""
