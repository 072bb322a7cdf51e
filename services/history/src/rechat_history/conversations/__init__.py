"""Conversations: the sidebar list, search, rename/pin/archive, delete and export."""
