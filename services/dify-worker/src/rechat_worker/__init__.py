"""ReChat Dify worker: consumes chat requests, streams Dify answers."""
