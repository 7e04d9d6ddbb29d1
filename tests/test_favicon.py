"""The site's icon: browsers ask for /favicon.ico on every first visit; it is answered, not a 404."""

from __future__ import annotations


def test_the_icon_is_served_and_linked(client, auth, make_user, make_workspace) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg") and icon.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=604800" in icon.headers.get("Cache-Control", "")
    owner = make_user()
    workspace = make_workspace("Rösterei", owner=owner)
    auth.login(owner)
    page = client.get(f"/w/{workspace.slug}/campaigns").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in page
