"""Certificates with ``cryptography``: a local root CA and a signing certificate C2PA accepts.

C2PA validators (c2pa-rs among them) refuse a self-signed signing certificate,
a signing certificate that is a CA, and one without the digitalSignature key
usage or an accepted extended key usage. The leaf made here is issued by a
local root, is not a CA, carries an Authority Key Identifier, digitalSignature,
and the EKUs emailProtection and C2PA claim signing (1.3.6.1.4.1.62558.2.1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from studio.api import BadInputError

C2PA_CLAIM_SIGNING_EKU = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
LEAF_DAYS = 3650  # ten years: a file signed by an expired certificate reads Invalid
ROOT_DAYS = 7300


@dataclass
class GeneratedIdentity:
    """PEM bytes of a fresh local identity (the root's key is not kept)."""

    chain_pem: bytes  # the signing certificate (the root is not part of the chain)
    key_pem: bytes  # PKCS#8, unencrypted: stored owner-only
    root_pem: bytes


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ])


def _key_usage(**on: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: bool(on.get(n, False)) for n in names})


def generate_identity(
    common_name: str,
    organization: str,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> GeneratedIdentity:
    """A new root CA and an ES256 signing certificate issued by it.

    ``not_before``/``not_after`` bound the signing certificate (tests use them
    to make an expired one); by default it is valid from yesterday for ten years.
    """
    now = dt.datetime.now(dt.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{common_name} root CA", organization)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or now - dt.timedelta(days=1)
    end = not_after or now + dt.timedelta(days=LEAF_DAYS)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, C2PA_CLAIM_SIGNING_EKU]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    return GeneratedIdentity(chain_pem=pem(leaf), key_pem=key_pem, root_pem=pem(root))


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificates(data: bytes, what: str) -> list[x509.Certificate]:
    """Every certificate in PEM ``data``; a clear error naming ``what`` if there is none."""
    if b"-----BEGIN" not in data:
        raise BadInputError(f"{what} is not a PEM file (no '-----BEGIN CERTIFICATE-----' block).")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise BadInputError(f"{what} holds a certificate that cannot be read: {exc}.") from None
    if not certs:
        raise BadInputError(f"{what} holds no certificate.")
    return certs


def load_private_key(data: bytes, what: str) -> Any:
    """A private key from PEM ``data``; encrypted keys and other formats give a clear error."""
    if b"-----BEGIN" not in data or b"PRIVATE KEY" not in data:
        raise BadInputError(f"{what} is not a PEM private key (no '-----BEGIN PRIVATE KEY-----' block).")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise BadInputError(
            f"{what} is encrypted with a password.",
            "Decrypt it first (for example: openssl pkey -in key.pem -out plain-key.pem).",
        ) from None
    except (ValueError, Exception) as exc:  # noqa: BLE001 - cryptography raises several types
        raise BadInputError(f"{what} cannot be read as a private key: {exc}.") from None


def public_der(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert: x509.Certificate, private_key: Any) -> bool:
    return public_der(cert.public_key()) == public_der(private_key.public_key())


def algorithm_for(private_key: Any) -> str:
    """The C2PA signing algorithm for a key: ES256/384/512, PS256 or Ed25519."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        alg = curves.get(private_key.curve.name)
        if alg is None:
            raise BadInputError(f"The key's curve {private_key.curve.name} cannot sign C2PA manifests "
                                "(use P-256, P-384 or P-521).")
        return alg
    if isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < 2048:
            raise BadInputError(f"An RSA key of {private_key.key_size} bits is too short (2048 at least).")
        return "ps256"
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise BadInputError(f"A {type(private_key).__name__} cannot sign C2PA manifests "
                        "(use an EC P-256/P-384/P-521, RSA or Ed25519 key).")


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - InvalidSignature and friends
        return False
    return True


def name_part(name: x509.Name, oid: ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """Plain facts about a certificate for ``studio credentials show``."""
    return {
        "common_name": name_part(cert.subject, NameOID.COMMON_NAME),
        "organization": name_part(cert.subject, NameOID.ORGANIZATION_NAME),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "serial": format(cert.serial_number, "x"),
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(":"),
    }
