"""Studio's built-in models and data (installed as ``studio_assets``)."""
