"""The JSON API (/api/v1) over the same services as the dashboard, with workspace tokens and an OpenAPI contract."""
