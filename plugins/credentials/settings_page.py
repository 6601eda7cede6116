"""The Content Credentials page of the Settings dialog: the signing identity and the trust anchors.

Declared as data (:class:`studio.api.SettingsPage`); the buttons call the same functions as
``studio credentials init | import | export-root``, and the trust-anchor list is the same
``trust_anchors`` setting as ``studio credentials trust``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import Ask, BadInputError, PluginContext, Setting, SettingsButton, SettingsPage

from . import identity, trust

PEM_FILTER = "Certificates (*.pem *.crt *.cer);;All files (*)"


def status(ctx: PluginContext) -> str:
    """Who exports are signed as, in plain words."""
    if not identity.exists():
        return ("No signing identity yet. One is created for you on your first signed export, or create "
                "one now; you can also use a certificate and key you already have.")
    try:
        facts = identity.load().describe()
    except BadInputError as exc:
        return f"Your signing identity cannot be used: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - an IdentityError, or a damaged file: say so, do not crash the page
        return f"Your signing identity cannot be used: {exc}"
    signer = facts["signer"]
    kind = "made by Studio on this computer" if facts["kind"] == "local" else "imported"
    return (f"Exports are signed as {signer['common_name']} ({signer['organization']}), an identity {kind}, "
            f"valid until {signer['not_after'][:10]}.")


def _confirm_replace(ctx: PluginContext) -> str:
    if identity.exists():
        return ("Replace your signing identity? Files you signed with it stay valid, but you can no longer "
                "sign as it.")
    return ""


def create_identity(ctx: PluginContext, answers: dict[str, Any]) -> str:
    name = str(answers.get("name") or "").strip() or None
    made = identity.create(name, force=bool(answers.get("confirmed")))
    return f"Created a signing identity for {made.describe()['signer']['common_name']}."


def import_identity(ctx: PluginContext, answers: dict[str, Any]) -> str:
    made = identity.import_pem(Path(answers["chain"]), Path(answers["key"]), force=bool(answers.get("confirmed")))
    return f"Exports are now signed as {made.describe()['signer']['common_name']}."


def export_root(ctx: PluginContext, answers: dict[str, Any]) -> str:
    dest = Path(answers["dest"])
    identity.export_root(dest)
    return (f"Wrote your root certificate to {dest.name}. Whoever adds it to their trusted certificates "
            "sees your files as signed by you.")


def check_anchor(value: Any) -> None:
    """Refuse a file that holds no certificate (the same check as ``studio credentials trust``)."""
    trust.TrustAnchors().add(trust.read_anchor_file(str(value)), str(value))


def check_tsa(value: Any) -> None:
    text = str(value or "").strip()
    if text and not text.startswith(("http://", "https://")):
        raise BadInputError(f"'{text}' is not a web address (http:// or https://).")


def default_name() -> str:
    import getpass

    try:
        return f"{getpass.getuser()} (Studio)"
    except Exception:  # noqa: BLE001 - no user name in some sandboxes
        return "Studio user"


def page() -> SettingsPage:
    return SettingsPage(
        title="Content Credentials",
        description=("Content Credentials (C2PA) are signed into every export: they say what made the picture "
                     "and how it was edited. Your signing identity names you as the signer; the certificates you "
                     "trust decide whose signatures the Verify view shows as trusted."),
        status=status,
        buttons=(
            SettingsButton("Create a signing identity…", create_identity,
                           help="Make a new certificate for you on this computer (no internet needed).",
                           asks=(Ask("name", "text", "The name your exports are signed with:",
                                     default=default_name()),),
                           confirm=_confirm_replace),
            SettingsButton("Use my certificate and key…", import_identity,
                           help="Sign with a certificate chain and private key you already have (PEM files).",
                           asks=(Ask("chain", "open_file", "Choose the certificate chain (signing certificate "
                                     "first)", PEM_FILTER),
                                 Ask("key", "open_file", "Choose its private key", "Private keys (*.pem *.key);;"
                                     "All files (*)")),
                           confirm=_confirm_replace),
            SettingsButton("Export my root certificate…", export_root,
                           help="Save the certificate others add to their trusted certificates to trust your files.",
                           asks=(Ask("dest", "save_file", "Save the root certificate", PEM_FILTER,
                                     default="studio-root.pem"),),
                           enabled=lambda _ctx: identity.local_root_pem() is not None),
        ),
        settings=(
            Setting("trust_anchors", "files", "Trusted certificates", default=[],
                    help="Root certificates (PEM files) whose signers the Verify view shows as trusted: "
                         "the official C2PA trust list, your organisation's root, a colleague's root.",
                    file_filter=PEM_FILTER, check=check_anchor),
            Setting("trust_own_root", "bool", "Trust files signed with my own identity", default=True,
                    help="Your own exports show as trusted on this computer."),
            Setting("tsa_url", "str", "Timestamp service (optional)", default="",
                    help="A time-stamping authority's web address. Signing then needs the internet; leave it "
                         "empty to sign offline.", check=check_tsa),
        ),
    )
