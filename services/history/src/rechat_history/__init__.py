"""ReChat history service: conversations and messages read model."""
