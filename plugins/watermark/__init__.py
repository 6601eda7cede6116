"""Built-in plugin: watermark (being written)."""
