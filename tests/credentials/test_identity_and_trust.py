"""The signing identity (create, import, export the root), trust anchors, expiry and the timestamp authority."""

import datetime as dt
import json
import stat

import pytest
from credentials_helpers import check, generated_record, studio, studio_json, write_pem_identity

from studio.errors import StudioError
from studio.settings import Settings, config_dir

NOW = dt.datetime.now(dt.timezone.utc)


def _creds():
    return config_dir() / "credentials"


def test_init_show_and_export_root(tmp_path):
    result, data = studio_json("credentials", "init", "--name", "Jo Reporter", "--organization", "Daily Planet")
    assert result.returncode == 0
    assert data["signer"]["common_name"] == "Jo Reporter" and data["signer"]["organization"] == "Daily Planet"
    assert stat.S_IMODE((_creds() / "signing-key.pem").stat().st_mode) == 0o600
    # the leaf is what C2PA wants: not a CA, AKI, digitalSignature, the claim-signing EKU, long validity
    from cryptography import x509

    leaf = x509.load_pem_x509_certificate((_creds() / "signing-chain.pem").read_bytes())
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ekus = {e.dotted_string for e in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
    assert ekus == {"1.3.6.1.5.5.7.3.4", "1.3.6.1.4.1.62558.2.1"}
    assert leaf.not_valid_after_utc - NOW > dt.timedelta(days=3000)
    # a second init refuses to replace it without --force
    again = studio("credentials", "init")
    assert again.returncode == 1 and "already exists" in again.stderr and "--force" in again.stderr
    shown = studio_json("credentials", "show")[1]
    assert shown["identity"]["signer"]["common_name"] == "Jo Reporter"
    assert "PRIVATE" not in json.dumps(shown)
    out = tmp_path / "my-root.pem"
    assert studio("credentials", "export-root", out).returncode == 0
    assert out.read_bytes() == (_creds() / "root.pem").read_bytes()
    assert b"PRIVATE" not in out.read_bytes()


def test_exported_root_makes_another_user_trust_my_files(tmp_path, png_file):
    signed = tmp_path / "mine.png"
    assert studio("sign", png_file, "--out", signed).returncode == 0
    root = tmp_path / "root.pem"
    studio("credentials", "export-root", root)
    # someone else: no own root of theirs matches; untrusted until they trust mine
    assert check(signed, own_root=False)["state"] == "valid"
    assert check(signed, root, own_root=False)["state"] == "trusted"
    # or through their settings
    assert studio("credentials", "trust", root).returncode == 0
    assert Settings.load().plugins["credentials"]["trust_anchors"] == [str(root.resolve())]
    settings = Settings.load()
    settings.plugins["credentials"]["trust_own_root"] = False
    settings.save()
    result, data = studio_json("verify", signed)
    assert data["state"] == "trusted" and str(root.resolve()) in data["trust_anchors"][0]


def test_trusted_versus_untrusted_signer(app, pixels, tmp_path):
    """Files from a signer whose root nobody listed read Valid, never Trusted."""
    alice_chain, alice_key, alice_root = write_pem_identity(tmp_path / "alice", "Alice")
    _, _, bob_root = write_pem_identity(tmp_path / "bob", "Bob")
    assert studio("credentials", "import", alice_chain, alice_key).returncode == 0
    dest = tmp_path / "by-alice.jpg"
    app.export.export_image(pixels, dest, generated_record())
    assert check(dest, alice_root, own_root=False)["state"] == "trusted"
    untrusted = check(dest, bob_root, own_root=False)
    assert untrusted["state"] == "valid" and untrusted["failures"] == ["signingCredential.untrusted"]
    assert untrusted["signer"]["common_name"] == "Alice"
    assert untrusted["signer"]["organization"] == "Alice's newsroom"


def test_import_checks_the_pair_and_stores_nothing_on_failure(tmp_path):
    chain, key, _ = write_pem_identity(tmp_path / "a", "A")
    _, other_key, _ = write_pem_identity(tmp_path / "b", "B")
    result = studio("credentials", "import", chain, other_key)
    assert result.returncode == 1 and "does not belong to the certificate" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert not (_creds() / "signing-key.pem").exists()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    result = studio("credentials", "import", garbage, key)
    assert result.returncode == 1 and "cannot be read" in result.stderr
    result = studio("credentials", "import", chain, tmp_path / "missing.pem")
    assert result.returncode == 1 and "does not exist" in result.stderr
    not_pem = tmp_path / "key.txt"
    not_pem.write_text("hello")
    result = studio("credentials", "import", chain, not_pem)
    assert result.returncode == 1 and "not a PEM private key" in result.stderr
    assert not (_creds() / "signing-key.pem").exists()
    # the right pair imports, and then signs
    assert studio("credentials", "import", chain, key).returncode == 0
    assert stat.S_IMODE((_creds() / "signing-key.pem").stat().st_mode) == 0o600


def test_encrypted_key_and_unreadable_key_are_clear(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from studio_plugins.credentials.certs import load_private_key

    chain, key, _ = write_pem_identity(tmp_path, "E")
    private = load_private_key(key.read_bytes(), "k")
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.BestAvailableEncryption(b"pw")))
    result = studio("credentials", "import", chain, encrypted)
    assert result.returncode == 1 and "encrypted with a password" in result.stderr
    unreadable = tmp_path / "unreadable.pem"
    unreadable.write_bytes(key.read_bytes())
    unreadable.chmod(0)
    import os

    if os.access(unreadable, os.R_OK):  # running as root: permissions do not stop reads
        unreadable = tmp_path / "a-folder.pem"
        unreadable.mkdir()
    result = studio("credentials", "import", chain, unreadable)
    assert result.returncode == 1 and ("cannot be read" in result.stderr or "is a folder" in result.stderr)


def _self_signed(tmp_path, ca: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Me")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=9))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"ss-{ca}.pem", tmp_path / f"ss-key-{ca}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_self_signed_and_ca_certificates_are_refused(tmp_path):
    result = studio("credentials", "import", *_self_signed(tmp_path, ca=False))
    assert result.returncode == 1 and "self-signed" in result.stderr
    result = studio("credentials", "import", *_self_signed(tmp_path, ca=True))
    assert result.returncode == 1 and "is a CA certificate" in result.stderr
    assert not (_creds() / "signing-chain.pem").exists()


def test_damaged_stored_identity_fails_the_export_clearly(app, pixels, tmp_path):
    studio("credentials", "init")
    (_creds() / "signing-key.pem").write_text("damaged")
    dest = tmp_path / "x.png"
    with pytest.raises(StudioError, match="stored signing identity cannot be used"):
        app.export.export_image(pixels, dest, generated_record())
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_expired_certificate(app, pixels, tmp_path):
    """Signing with an expired certificate is refused; a file signed before expiry reads Invalid after."""
    chain, key, root = write_pem_identity(tmp_path / "old", "Old", not_before=NOW - dt.timedelta(days=400),
                                          not_after=NOW - dt.timedelta(days=1))
    result = studio("credentials", "import", chain, key)
    assert result.returncode == 1 and "expired" in result.stderr
    # a certificate that expires two seconds from now
    from studio_plugins.credentials import identity

    start = dt.datetime.now(dt.timezone.utc)
    chain, key, root = write_pem_identity(tmp_path / "short", "Short", not_after=start + dt.timedelta(seconds=2))
    identity.import_pem(chain, key)
    dest = tmp_path / "soon-expired.png"
    app.export.export_image(pixels, dest, generated_record())
    assert check(dest, root)["state"] == "trusted"
    import time

    # c2pa-rs allows a little clock slack, so wait well past the end
    time.sleep(max(0.0, (start + dt.timedelta(seconds=5.5) - dt.datetime.now(dt.timezone.utc)).total_seconds()))
    result = check(dest, root)
    assert result["state"] == "invalid" and "signingCredential.expired" in result["failures"]
    detail = next(d for d in result["failure_details"] if d["code"] == "signingCredential.expired")
    assert "expired" in detail["explanation"]
    with pytest.raises(StudioError, match="expired"):
        app.export.export_image(pixels, tmp_path / "later.png", generated_record())
    assert not (tmp_path / "later.png").exists()


def test_unreachable_timestamp_authority_is_clear_and_writes_nothing(tmp_path, png_file):
    assert studio("credentials", "tsa", "http://127.0.0.1:9/tsa").returncode == 0
    out = tmp_path / "t.png"
    result = studio("sign", png_file, "--out", out)
    assert result.returncode == 1 and "timestamp" in result.stderr and "--off" in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert studio("credentials", "tsa", "--off").returncode == 0
    assert studio("sign", png_file, "--out", out).returncode == 0


def test_bad_trust_anchor_file_is_clear(tmp_path, png_file):
    bad = tmp_path / "bad.pem"
    bad.write_text("nothing here")
    result = studio("verify", png_file, "--trust-anchors", bad)
    assert result.returncode == 1 and "not a PEM file" in result.stderr
    result = studio("credentials", "trust", bad)
    assert result.returncode == 1 and "not a PEM file" in result.stderr
