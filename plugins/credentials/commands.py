"""CLI commands: ``studio verify``, ``studio sign`` and ``studio credentials ...``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from studio.api import BadInputError, Command, PluginContext, Record, sha256_file

from . import identity, trust

EXIT_OK, EXIT_INVALID, EXIT_FETCH = 0, 3, 4


def _print(args: Any, data: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text)


# -- verify -------------------------------------------------------------------
def configure_verify(parser: Any) -> None:
    from .remote import NETWORK_NOTE

    parser.add_argument("file", metavar="FILE", help="the image or video to check")
    parser.add_argument("--trust-anchors", metavar="PEM", action="append", default=[],
                        help="also trust the root certificates in this PEM file (repeatable)")
    parser.add_argument("--allow-network", action="store_true", help=NETWORK_NOTE)


def run_verify(args: Any, ctx: PluginContext) -> int:
    from .recovery import recover
    from .report import text
    from .verify import verify

    anchors = trust.collect(ctx.settings, extra=args.trust_anchors)
    result = verify(Path(args.file), anchors, allow_network=args.allow_network)
    if result["state"] in ("no-credentials", "remote"):
        result |= recover(Path(args.file), ctx, anchors)
    _print(args, result, text(result))
    error = (result.get("remote") or {}).get("error")
    if error:
        print(f"studio: error: {error}", file=sys.stderr)
        return EXIT_FETCH
    return EXIT_INVALID if result["state"] == "invalid" else EXIT_OK


# -- the local manifest store ------------------------------------------------------
def configure_store_file(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="the store file to write (export) or merge in (import)")


def run_store_export(args: Any, ctx: PluginContext) -> int:
    from .recovery import store_for

    store = store_for(ctx.settings)
    store.open(create=True)
    try:
        count = store.export_to(Path(args.file))
    finally:
        store.close()
    _print(args, {"path": args.file, "manifests": count, "store": str(store.path)},
           f"wrote {count} manifest{'s' if count != 1 else ''} from {store.path} to {args.file}")
    return EXIT_OK


def run_store_import(args: Any, ctx: PluginContext) -> int:
    from .recovery import store_for

    store = store_for(ctx.settings)
    store.open(create=True)
    try:
        report = store.import_from(Path(args.file))
        total = store.count()
    finally:
        store.close()
    data = report.to_dict() | {"path": args.file, "store": str(store.path), "manifests": total}
    lines = [f"merged {args.file} into {store.path}: {report.added} added, {report.present} already present, "
             f"{len(data['collisions'])} collision{'s' if len(data['collisions']) != 1 else ''}"]
    lines += [f"  collision: payload {p} now holds several different manifests (all kept)"
              for p in data["collisions"]]
    _print(args, data, "\n".join(lines))
    return EXIT_OK


def run_store_show(args: Any, ctx: PluginContext) -> int:
    from .recovery import store_for

    store = store_for(ctx.settings)
    if not store.path.exists():
        _print(args, {"store": str(store.path), "manifests": 0}, f"store: {store.path} (not created yet)")
        return EXIT_OK
    store.open(create=False)
    try:
        count = store.count()
    finally:
        store.close()
    _print(args, {"store": str(store.path), "manifests": count}, f"store: {store.path}, {count} manifests")
    return EXIT_OK


# -- sign -----------------------------------------------------------------------
def configure_sign(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="the file to sign (JPEG, PNG, WebP, TIFF or MP4)")
    parser.add_argument("--out", "-o", metavar="OUT", help="where to write the signed copy "
                        "(default: NAME-signed.EXT beside the input)")


def run_sign(args: Any, ctx: PluginContext) -> int:
    from .signing import format_of

    source = Path(args.file)
    if not source.exists():
        raise BadInputError(f"{source} does not exist.")
    if source.is_dir():
        raise BadInputError(f"{source} is a folder, not a file.")
    format_of(source)  # an unsupported type is refused here, not copied unsigned (the step checks the rest)
    dest = Path(args.out) if args.out else source.with_name(f"{source.stem}-signed{source.suffix}")
    options = ctx.export_options() | {"sign": True}
    report = ctx.export_file(source, dest, Record.opened(str(source), sha256_file(source)), options)
    lines = [f"signed {report.path} ({report.format})"] + [f"  note: {n}" for n in report.notices]
    _print(args, report.to_dict(), "\n".join(lines))
    return EXIT_OK


# -- credentials ------------------------------------------------------------------
def configure_init(parser: Any) -> None:
    parser.add_argument("--force", action="store_true", help="replace an existing identity")
    parser.add_argument("--name", metavar="TEXT", help="the signer's name (certificate common name)")
    parser.add_argument("--organization", metavar="TEXT", help="the organisation named in the certificates")


def run_init(args: Any, ctx: PluginContext) -> int:
    made = identity.create(args.name, args.organization, force=args.force)
    facts = made.describe()
    _print(args, facts, f"created a signing identity in {made.folder}\n"
                        f"  signer: {facts['signer']['common_name']} ({facts['signer']['organization']}), "
                        f"valid until {facts['signer']['not_after'][:10]}\n"
                        "  share your root so others can trust your files: studio credentials export-root FILE")
    return EXIT_OK


def configure_import(parser: Any) -> None:
    parser.add_argument("chain", metavar="CHAIN_PEM", help="certificate chain, signing certificate first")
    parser.add_argument("key", metavar="KEY_PEM", help="the signing certificate's private key (unencrypted PEM)")
    parser.add_argument("--force", action="store_true", help="replace an existing identity")


def run_import(args: Any, ctx: PluginContext) -> int:
    made = identity.import_pem(Path(args.chain), Path(args.key), force=args.force)
    facts = made.describe()
    _print(args, facts, f"imported the signing identity of {facts['signer']['common_name']} "
                        f"({made.alg.upper()}) into {made.folder}")
    return EXIT_OK


def configure_export_root(parser: Any) -> None:
    parser.add_argument("out", metavar="OUT", help="where to write the root certificate (PEM); '-' prints it")


def run_export_root(args: Any, ctx: PluginContext) -> int:
    root = identity.export_root(Path(args.out))
    if args.out == "-":
        sys.stdout.write(root.decode("ascii"))
    else:
        _print(args, {"path": args.out}, f"wrote your root certificate to {args.out}; others can trust your files "
                                         "with 'studio verify FILE --trust-anchors' or their settings")
    return EXIT_OK


def configure_show(parser: Any) -> None:
    pass


def run_show(args: Any, ctx: PluginContext) -> int:
    settings = ctx.settings
    data: dict[str, Any] = {"identity": None, "tsa_url": settings.get("tsa_url"),
                            "signing_on": bool(ctx.export_options().get("sign", True))}
    lines = []
    if identity.exists():
        facts = identity.load().describe()
        data["identity"] = facts
        s = facts["signer"]
        lines += [f"identity: {facts['kind']}, {facts['algorithm']}, in {facts['folder']}",
                  f"  signer: {s['common_name']} ({s['organization']}), valid {s['not_before'][:10]} to "
                  f"{s['not_after'][:10]}", f"  fingerprint: {s['sha256_fingerprint']}"]
    else:
        lines.append("identity: none yet (one is created on the first signed export)")
    anchors = trust.collect(settings)
    data["trust_anchors"] = anchors.sources
    lines.append("trust anchors: " + ("; ".join(anchors.sources) or "none"))
    lines.append(f"timestamp authority: {settings.get('tsa_url') or 'none (signing works offline)'}")
    lines.append(f"signing of exports: {'on' if data['signing_on'] else 'off'}")
    _print(args, data, "\n".join(lines))
    return EXIT_OK


def configure_trust(parser: Any) -> None:
    parser.add_argument("pem", metavar="PEM", help="a PEM file of root certificates to trust")
    parser.add_argument("--remove", action="store_true", help="stop trusting this file")


def run_trust(args: Any, ctx: PluginContext) -> int:
    settings = ctx.settings
    path = str(Path(args.pem).expanduser().resolve())
    listed = [str(p) for p in settings.get("trust_anchors") or []]
    if args.remove:
        listed = [p for p in listed if p != path]
    else:
        trust.TrustAnchors().add(trust.read_anchor_file(path), path)  # refuse a bad file now, not later
        listed = [p for p in listed if p != path] + [path]
    settings["trust_anchors"] = listed
    ctx.save_settings()
    _print(args, {"trust_anchors": listed}, f"{'no longer trusting' if args.remove else 'trusting'} {path}")
    return EXIT_OK


def configure_tsa(parser: Any) -> None:
    parser.add_argument("url", metavar="URL", nargs="?", help="an RFC 3161 timestamp authority")
    parser.add_argument("--off", action="store_true", help="sign without a timestamp authority (works offline)")


def run_tsa(args: Any, ctx: PluginContext) -> int:
    if not args.off and not args.url:
        raise BadInputError("Give a timestamp authority URL, or --off.")
    if args.url and not args.url.startswith(("http://", "https://")):
        raise BadInputError(f"'{args.url}' is not an http(s) URL.")
    settings = ctx.settings
    settings["tsa_url"] = None if args.off else args.url
    ctx.save_settings()
    _print(args, {"tsa_url": settings["tsa_url"]},
           f"timestamp authority: {settings['tsa_url'] or 'none (signing works offline)'}")
    return EXIT_OK


def commands() -> list[Command]:
    return [
        Command(("verify",), "check a file's Content Credentials (offline unless --allow-network)", configure_verify,
                run_verify),
        Command(("credentials", "store", "export"), "write the local manifest store to a file (to share it)",
                configure_store_file, run_store_export),
        Command(("credentials", "store", "import"), "merge a shared manifest store into yours",
                configure_store_file, run_store_import),
        Command(("credentials", "store", "show"), "where the local manifest store is and how many it holds",
                configure_show, run_store_show),
        Command(("sign",), "sign an existing file with your Content Credentials", configure_sign, run_sign),
        Command(("credentials", "init"), "create your local signing identity", configure_init, run_init),
        Command(("credentials", "import"), "use your own certificate chain and key (PEM)", configure_import,
                run_import),
        Command(("credentials", "export-root"), "write your root certificate for others to trust",
                configure_export_root, run_export_root),
        Command(("credentials", "show"), "show the signing identity, trust anchors and timestamp authority",
                configure_show, run_show),
        Command(("credentials", "trust"), "trust the root certificates in a PEM file", configure_trust, run_trust),
        Command(("credentials", "tsa"), "set or clear the timestamp authority", configure_tsa, run_tsa),
    ]
