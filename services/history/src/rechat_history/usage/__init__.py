"""Token usage and cost, per day and app for me, per user and app for administrators."""
