"""Every page a customer's phone opens: arrival by code or invite, the survey, the thank-you page."""
