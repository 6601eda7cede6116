"""Built-in plugin: forensics (being written)."""
