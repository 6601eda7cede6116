"""Plain language for C2PA status codes, actions and digital source types."""

from __future__ import annotations

FAILURES = {
    "assertion.dataHash.mismatch": "The image content was changed after it was signed.",
    "assertion.bmffHash.mismatch": "The video or audio data was changed after it was signed.",
    "assertion.boxesHash.mismatch": "Part of the file was changed after it was signed.",
    "assertion.collectionHash.mismatch": "A file of the signed collection was changed after it was signed.",
    "assertion.hashedURI.mismatch": "A statement inside the credentials was altered after signing.",
    "assertion.missing": "A statement the signature covers is missing from the file.",
    "assertion.multipleHardBindings": "The credentials bind to the content more than once, which is not allowed.",
    "assertion.undeclared": "The credentials hold a statement the signature does not cover.",
    "assertion.inaccessible": "A statement in the credentials could not be read.",
    "assertion.notRedacted": "A statement claimed to be redacted is still present.",
    "assertion.selfRedacted": "The credentials try to redact one of their own statements.",
    "assertion.action.ingredientMismatch": "An action names an ingredient that does not match the ones recorded.",
    "assertion.action.malformed": "The list of actions is malformed (for example, it does not start with "
                                  "'created' or 'opened').",
    "assertion.action.softBindingMissing": "A watermark is declared but its soft-binding statement is missing.",
    "assertion.cbor.invalid": "A statement in the credentials is not valid data.",
    "assertion.json.invalid": "A statement in the credentials is not valid JSON.",
    "assertion.ingredient.malformed": "An ingredient record is malformed.",
    "assertion.timestamp.malformed": "The time-stamp statement is malformed.",
    "claim.missing": "The credentials have no claim (the signed summary) at all.",
    "claim.multiple": "The credentials hold more than one claim where only one is allowed.",
    "claim.hardBindings.missing": "The credentials do not bind to the file's content, so they prove nothing about it.",
    "claim.malformed": "The claim (the signed summary) is malformed.",
    "claim.cbor.invalid": "The credentials are damaged: their data cannot be decoded.",
    "claimSignature.missing": "The signature is missing.",
    "claimSignature.mismatch": "The signature does not match the credentials: they were altered after signing.",
    "claimSignature.outsideValidity": "The file was signed outside the signing certificate's validity period.",
    "signingCredential.untrusted": "The signer's certificate does not chain to any trust anchor you have, "
                                   "so nobody you trust vouches for who signed it.",
    "signingCredential.invalid": "The signer's certificate is not valid for signing Content Credentials.",
    "signingCredential.expired": "The signer's certificate had expired (and no trusted time-stamp shows it was "
                                 "signed while still valid).",
    "signingCredential.revoked": "The signer's certificate has been revoked.",
    "signingCredential.ocsp.revoked": "The signer's certificate has been revoked.",
    "signingCredential.ocsp.unknown": "The revocation status of the signer's certificate is unknown.",
    "timeStamp.mismatch": "The time-stamp does not match the signature.",
    "timeStamp.malformed": "The time-stamp is malformed.",
    "timeStamp.outsideValidity": "The time-stamp lies outside the time-stamping certificate's validity.",
    "timeStamp.untrusted": "The time-stamp comes from an authority you do not trust.",
    "algorithm.unsupported": "The credentials use a hashing or signing algorithm that is not supported.",
    "algorithm.deprecated": "The credentials use an algorithm that is deprecated and no longer accepted.",
    "ingredient.manifest.missing": "An ingredient's credentials are missing from the file.",
    "ingredient.manifest.mismatch": "An ingredient's credentials were changed after they were recorded.",
    "ingredient.claimSignature.missing": "An ingredient's signature is missing.",
    "ingredient.claimSignature.mismatch": "An ingredient's signature does not match its credentials.",
    "ingredient.hashedURI.mismatch": "An ingredient's record was altered after it was signed.",
    "manifest.inaccessible": "The credentials are stored elsewhere and could not be reached.",
    "manifest.multipleParents": "The credentials name more than one parent, which is not allowed.",
    "manifest.update.invalid": "An update manifest makes changes an update may not make.",
    "manifest.update.wrongParents": "An update manifest does not have exactly one parent.",
    "manifest.unknownProvenance": "The history of an ingredient is unknown.",
    "general.error": "The credentials could not be checked because of an error.",
}

PREFIX_HINTS = {
    "assertion.": "A statement in the credentials failed its check.",
    "claimSignature.": "The signature failed its check.",
    "signingCredential.": "The signer's certificate failed its check.",
    "timeStamp.": "The time-stamp failed its check.",
    "ingredient.": "An ingredient's credentials failed their check.",
    "manifest.": "The credentials failed a structural check.",
    "claim.": "The claim (the signed summary) failed its check.",
    "cawg.": "An identity assertion failed its check.",
}

ACTIONS = {
    "c2pa.created": "Created",
    "c2pa.opened": "Opened an existing file",
    "c2pa.edited": "Edited",
    "c2pa.edited.metadata": "Edited the metadata",
    "c2pa.filtered": "Applied a filter",
    "c2pa.color_adjustments": "Adjusted colours or tones",
    "c2pa.resized": "Resized",
    "c2pa.cropped": "Cropped",
    "c2pa.orientation": "Rotated or flipped",
    "c2pa.placed": "Placed another image into it",
    "c2pa.removed": "Removed something",
    "c2pa.drawing": "Drew on it",
    "c2pa.converted": "Converted to another format",
    "c2pa.transcoded": "Re-encoded",
    "c2pa.repackaged": "Repackaged",
    "c2pa.published": "Published",
    "c2pa.watermarked": "Embedded an invisible watermark",
    "c2pa.redacted": "Redacted part of the credentials",
    "c2pa.unknown": "Something not recorded in detail",
}

# IPTC's two terms for generative AI: what "AI tool used" means (as on the Content Credentials Verify page).
# algorithmicMedia ("purely by an algorithm not based on any sampled training data"), compositeSynthetic
# (a composite with synthetic elements of any kind) and algorithmicallyEnhanced do not say a generative
# model was used; they are shown as declared, but do not make "AI tool used" true.
AI_SOURCE_TYPES = {
    "trainedAlgorithmicMedia": "made by a generative AI model",
    "compositeWithTrainedAlgorithmicMedia": "includes content made by a generative AI model (edited or combined "
                                            "with other content)",
}

SOURCE_TYPES = {
    "digitalCapture": "captured by a digital camera or recorder",
    "computationalCapture": "captured with computational photography",
    "negativeFilm": "scanned from a film negative",
    "positiveFilm": "scanned from film",
    "print": "scanned from a print",
    "humanEdits": "edited by a person",
    "minorHumanEdits": "lightly edited by a person",
    "digitalCreation": "made with software by a person",
    "dataDrivenMedia": "made from data",
    "screenCapture": "a screen capture",
    "virtualRecording": "a recording of a virtual scene",
    "composite": "a composite of several sources",
    "compositeCapture": "a composite of captured content",
    "algorithmicMedia": "made purely by an algorithm, not from a camera and not by a trained model",
    "compositeSynthetic": "a composite including synthetic elements",
    "algorithmicallyEnhanced": "enhanced by an algorithm",
    **AI_SOURCE_TYPES,
}

RELATIONSHIPS = {"parentOf": "parent (the file this one was made from)",
                 "componentOf": "component (placed into this file)",
                 "inputTo": "input (guided how this file was made)"}

STATE_SUMMARIES = {
    "trusted": "Content Credentials are intact and signed by a signer you trust.",
    "valid": "Content Credentials are intact, but the signer is not on your trust list.",
    "invalid": "Content Credentials are present but fail verification: the file or its credentials were "
               "changed after signing, or the signature cannot be accepted.",
    "no-credentials": "This file carries no Content Credentials.",
    "remote": "This file says its Content Credentials are stored online; they were not fetched, so they "
              "cannot be verified offline.",
}
TRUSTED_BUT_IDENTITY = ("Content Credentials are intact and signed by a signer you trust; an identity they "
                        "carry is reported on its own (see Identities).")

IDENTITY_CODES = {
    "cawg.x509.credential.untrusted": "The identity's X.509 certificate does not chain to an identity trust "
                                      "anchor you have, so nobody you trust vouches for the name it gives.",
    "cawg.identity.well-formed": "The identity assertion is well formed.",
    "cawg.x509.signature.validated": "The identity's signature is valid.",
}
IDENTITY_STATES = {
    "trusted": "An identity credential you trust vouches for this name.",
    "untrusted": "The identity's signature is intact, but its credential is not trusted: the name is the "
                 "signer's claim. This says nothing against the manifest itself.",
    "invalid": "The identity assertion fails verification: the name in it cannot be relied on. The manifest "
               "has its own state.",
}

CAN_TELL = ("Who signed the file (as named by their certificate), what they declare happened to it, which files "
            "went into it, and whether any of that or the content was changed since.")
CANNOT_TELL = ("Whether the declarations are true, or anything about the file if the credentials were stripped: "
               "a file without credentials is not evidence of anything.")


def failure(code: str, library_text: str = "") -> str:
    if code in FAILURES:
        return FAILURES[code]
    for prefix, hint in PREFIX_HINTS.items():
        if code.startswith(prefix):
            return f"{hint} ({library_text or code})"
    return library_text or f"Check failed: {code}."


def action(name: str) -> str:
    if name in ACTIONS:
        return ACTIONS[name]
    short = name.split(".", 1)[-1].replace("_", " ")
    return short[:1].upper() + short[1:]


def source_type(uri: str | None) -> tuple[str, str, bool]:
    """(short name, plain text, whether it says a generative AI tool was used) for a digital source type URI."""
    if not uri:
        return "", "", False
    short = uri.rstrip("/").rsplit("/", 1)[-1]
    return short, SOURCE_TYPES.get(short, short), short in AI_SOURCE_TYPES
