"""ReChat chat gateway: chat commands, SSE streams, Dify app registry."""
