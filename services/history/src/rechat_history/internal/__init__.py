"""History's internal API for the gateway (not routed by the public proxy)."""
