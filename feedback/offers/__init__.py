"""Offers with unique coupons, and their redemption: from a scan to revenue."""
