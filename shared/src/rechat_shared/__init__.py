"""ReChat shared library: settings, errors, DB, auth verification, events, transports."""
