"""Ratings, comparisons, dashboards and downloads: what marketers come for."""
