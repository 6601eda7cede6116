"""A generated clip with one frame edited on the canvas: its credentials say created, then edited with AI."""

import numpy as np

from studio.document import Document, FramesClip, Layer
from studio.document.provenance import TRAINED_ALGORITHMIC_MEDIA, Ingredient, Record
from studio_plugins.credentials.manifest import build_plan


def test_the_clip_manifest_names_the_frame_edit():
    doc = Document()
    made = Record(action="video.generate", title="a red circle moving right", c2pa_action="c2pa.created",
                  digital_source=TRAINED_ALGORITHMIC_MEDIA)
    clip = FramesClip(name="gen", frames=[np.full((16, 16, 3), i, np.uint8) for i in range(4)], record=made)
    doc.add_clip(clip)
    doc.timeline.seek(1)
    frame = doc.frame_to_layer()
    inpaint = Record(action="inpaint", title="inpaint: a blue star", c2pa_action="c2pa.edited",
                     digital_source=TRAINED_ALGORITHMIC_MEDIA,
                     ingredients=[Ingredient(title=frame.name, relationship="parentOf", record=frame.record)])
    layer = Layer(np.full((16, 16, 4), 200, np.uint8), name="inpainted", record=inpaint)
    doc.layer_to_frame(layer)
    actions = build_plan(clip.record, [], "gen.mp4").definition["assertions"][-1]["data"]["actions"]
    names = [a["action"] for a in actions]
    assert names[0] == "c2pa.created" and actions[0]["digitalSourceType"].endswith("trainedAlgorithmicMedia")
    assert "c2pa.placed" in names and names[-1] == "c2pa.edited"
    assert actions[-1]["digitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
