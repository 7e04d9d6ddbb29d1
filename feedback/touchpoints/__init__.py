"""Campaigns and touchpoints: the hub every other feature points at."""
