"""Consented contacts and lead scoring: from a survey to the sales team."""
