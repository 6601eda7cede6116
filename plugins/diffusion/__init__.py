"""Built-in plugin: diffusion (being written)."""
