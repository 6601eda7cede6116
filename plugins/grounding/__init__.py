"""Visual grounding: text in, boxes out — on pictures, timeline frames and whole videos.

``studio ground FILE QUERY`` and the Find objects action. The built-in model (trained by this
project on the shapes world, ``assets/models/studio-grounding``) is the default; OWLv2/OWL-ViT,
Grounding DINO and Florence-2 load offline from local folders; faces have a detector of their own.
"""

from __future__ import annotations
