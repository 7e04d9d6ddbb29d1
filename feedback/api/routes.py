"""The API's blueprint with every resource's routes on it (importing a resource module adds its routes)."""

from feedback.api import (
    campaigns,
    codes,
    cohorts,
    comments,
    coupons,
    periods,
    responses,
    surveys,
    themes,
    webhooks,
    winbacks,
)
from feedback.api.base import bp, spec

RESOURCES = (campaigns, codes, cohorts, comments, coupons, periods, responses, surveys, themes, webhooks, winbacks)
__all__ = ["RESOURCES", "bp", "spec"]
