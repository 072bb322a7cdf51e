"""Profile pictures: upload, remove, and serve them (the SPA shows initials without one)."""
