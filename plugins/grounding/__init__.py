"""Visual grounding: text in, boxes out — on pictures, timeline frames and whole videos.

``studio ground FILE QUERY`` and the Find objects action. The built-in model (trained by this
project on the shapes world, ``assets/models/studio-grounding``) is the default; OWLv2/OWL-ViT,
Grounding DINO and Florence-2 load offline from local folders; faces have a detector of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.api import OutputBoxes, PluginContext, hookimpl

if TYPE_CHECKING:
    import numpy as np


@hookimpl
def studio_find_objects(ctx: PluginContext, rgb: np.ndarray, queries: list[str],
                        threshold: float) -> OutputBoxes | None:
    """Faces for other plugins (forensics asks for "face"); other queries: not yet."""
    from .faces import find_objects_answer

    return find_objects_answer(ctx.state, ctx.lock, rgb, queries, threshold)
