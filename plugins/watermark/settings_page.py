"""The Invisible watermark page of the Settings dialog (export defaults the watermark step reads)."""

from __future__ import annotations

from studio.api import Setting, SettingsPage


def page() -> SettingsPage:
    from .embed import DEFAULT_STRENGTH, MAX_STRENGTH, MIN_SIDE

    return SettingsPage(
        title="Invisible watermark",
        description=("Every export gets an invisible mark in its pixels that links it to its record, even after "
                     "the file is re-compressed, resized or cropped and its Content Credentials are stripped. "
                     f"Pictures smaller than {MIN_SIDE} pixels on a side cannot carry it."),
        settings=(
            Setting("watermark_strength", "float", "Strength", default=DEFAULT_STRENGTH, minimum=0.25,
                    maximum=MAX_STRENGTH, step=0.25, export_option=True,
                    help="1 is invisible to the eye; stronger marks survive more editing and may become visible."),
            Setting("watermark_key", "choice", "Key", default="studio", choices=("studio", "private"),
                    choice_labels=("Studio's public key (anyone with Studio can find the mark)",
                                   "This computer's private key (only this computer can find it)"),
                    export_option=True),
            Setting("watermark_required", "bool", "Refuse exports that cannot be marked", default=False,
                    export_option=True,
                    help="Otherwise a picture too small for the mark is exported without it, and you are told."),
        ),
    )
