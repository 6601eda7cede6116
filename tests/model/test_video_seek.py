"""A video source seeks backwards as well as forwards (scrubbing, playback that loops)."""

import numpy as np
from helpers import MEDIA

from studio.video import VideoSource


def test_seeking_back_after_decoding_gives_the_same_pictures():
    fresh = [VideoSource(MEDIA / "legacy.mp4", cache_bytes=0).frame(i) for i in (5, 50)]
    source = VideoSource(MEDIA / "legacy.mp4", cache_bytes=0)
    try:
        late = source.frame(50)
        early = source.frame(5)  # back: a new seek on an open decoder
    finally:
        source.close()
    assert np.array_equal(early, fresh[0]) and np.array_equal(late, fresh[1])
