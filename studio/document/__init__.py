"""The document model: canvas layers, timeline, results and their provenance.

Nothing in this package imports Qt (an import-linter contract enforces it), so
the CLI, the tests and other front ends use the same model as the GUI.
"""

from studio.document.document import Document
from studio.document.layers import Layer
from studio.document.provenance import Ingredient, Record
from studio.document.timeline import Box, Clip, Timeline, Track

__all__ = ["Box", "Clip", "Document", "Ingredient", "Layer", "Record", "Timeline", "Track"]
