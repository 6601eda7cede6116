"""The document model: canvas layers, timeline, results and their provenance.

Nothing in this package imports Qt (an import-linter contract enforces it), so
the CLI, the tests and other front ends use the same model as the GUI.
"""

from studio.document.clips import Box, BoxClip, Clip, FramesClip, ScoreClip, StillClip, VideoClip
from studio.document.document import Document
from studio.document.layers import BoxLayer, Layer
from studio.document.provenance import Ingredient, Record
from studio.document.timeline import Keys, Timeline, Track
from studio.document.tracks import delete_track, propagate_correction

__all__ = ["Box", "BoxClip", "BoxLayer", "Clip", "Document", "FramesClip", "Ingredient", "Keys", "Layer", "Record",
           "ScoreClip", "StillClip", "Timeline", "Track", "VideoClip", "delete_track", "propagate_correction"]
