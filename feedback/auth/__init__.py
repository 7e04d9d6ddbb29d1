"""Users, workspaces, roles, login and invitations."""
