"""Outcomes as c2pa-rs gives them: a CAWG identity apart from the manifest; a manifest stored online."""

import io
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from credentials_helpers import check, generated_record, studio
from helpers import MEDIA

from studio_plugins.credentials import remote
from studio_plugins.credentials.certs import generate_identity


def cawg_signed(dest):
    """A JPEG whose manifest carries a CAWG X.509 identity assertion from a certificate nobody trusts.

    Made like c2patool's settings-based CAWG signing: a C2PA signer plus a ``cawg_x509_signer``.
    (c2pa-python 0.38 only signs with the settings' signer when the Builder is marked as having one.)
    """
    import c2pa
    from PIL import Image

    main, person = generate_identity("Main Signer", "Main Org"), generate_identity("Identity Person", "Identity Org")
    settings = {"version": 1, "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                "signer": {"local": {"alg": "es256", "sign_cert": (main.chain_pem + main.root_pem).decode(),
                                     "private_key": main.key_pem.decode()}},
                "cawg_x509_signer": {"local": {"alg": "es256",
                                               "sign_cert": (person.chain_pem + person.root_pem).decode(),
                                               "private_key": person.key_pem.decode(),
                                               "referenced_assertions": ["c2pa.actions"]}}}
    source = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(source, "JPEG")
    source.seek(0)
    definition = {"claim_generator_info": [{"name": "cawg-test", "version": "1"}], "title": dest.name,
                  "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
                      {"action": "c2pa.created", "digitalSourceType":
                       "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"}]}}]}
    context = c2pa.Context.from_dict(settings)
    builder = c2pa.Builder(definition, context)
    builder._has_context_signer = True
    with open(dest, "wb") as out:
        builder.sign("image/jpeg", source, out)
    root = dest.with_suffix(".root.pem")
    root.write_bytes(main.root_pem)
    return dest, root


def test_an_untrusted_cawg_identity_leaves_the_manifest_valid(tmp_path):
    path, root = cawg_signed(tmp_path / "cawg.jpg")
    result = check(path, root, own_root=False)  # the C2PA signer is trusted, the identity's credential is not
    assert result["state"] == "valid" and result["validation_state"] == "Valid"  # as c2pa-rs says
    assert result["failures"] == [] and result["signer_trusted"] is True
    (identity,) = result["identities"]
    assert identity["state"] == "untrusted" and identity["failures"] == ["cawg.x509.credential.untrusted"]
    assert identity["named"] == {"common_name": "Identity Person", "organization": "Identity Org"}
    assert "says nothing against the manifest" in identity["summary"]
    assert "identity" in result["summary"] and "INVALID" not in result["summary"]
    # without anchors: the manifest's own signer is untrusted, and the identity is still apart
    alone = check(path, own_root=False)
    assert alone["state"] == "valid" and alone["failures"] == ["signingCredential.untrusted"]
    assert alone["identities"][0]["state"] == "untrusted"
    cli = studio("verify", path, "--trust-anchors", root)
    assert cli.returncode == 0 and "VALID" in cli.stdout and "INVALID" not in cli.stdout
    assert "identity: Identity Org — Identity Person — untrusted" in cli.stdout


def remote_signed(tmp_path, url, name="remote.jpg"):
    """A JPEG whose manifest is not embedded: its XMP names ``url``. Returns (file, manifest bytes)."""
    import c2pa

    from studio_plugins.credentials import identity
    from studio_plugins.credentials.manifest import build_plan
    from studio_plugins.credentials.signing import make_signer

    signer = make_signer(identity.load(create_if_missing=True))
    builder = c2pa.Builder(build_plan(generated_record(), [], name).definition)
    builder.set_no_embed()
    builder.set_remote_url(url)
    out = tmp_path / name
    with open(MEDIA / "earth_apollo17.jpg", "rb") as src, open(out, "w+b") as dst:
        manifest = builder.sign(signer, "image/jpeg", src, dst)
    return out, bytes(manifest)


def test_a_remote_manifest_has_its_own_state_offline(tmp_path):
    path, _ = remote_signed(tmp_path, "https://example.org/m/remote.c2pa")
    result = check(path)
    assert result["state"] == "remote" and result["remote"]["url"] == "https://example.org/m/remote.c2pa"
    assert result["remote"]["fetched"] is False
    cli = studio("verify", path)
    assert cli.returncode == 0 and "REMOTE" in cli.stdout and "--allow-network" in cli.stdout


def test_allow_network_is_documented_as_the_only_network_access():
    text = studio("verify", "--help").stdout
    assert "--allow-network" in text and "only network access" in text and "https only" in text


def test_allow_network_refuses_plain_http(tmp_path):
    path, _ = remote_signed(tmp_path, "http://example.org/m/remote.c2pa")
    cli = studio("verify", path, "--allow-network")
    assert cli.returncode == 4 and "https only" in cli.stderr and "Traceback" not in cli.stderr
    assert "only network access" in cli.stdout


def test_allow_network_says_plainly_when_the_host_cannot_be_reached(tmp_path):
    path, _ = remote_signed(tmp_path, "https://127.0.0.1:9/remote.c2pa")  # nothing listens on port 9
    cli = studio("verify", path, "--allow-network", "--json")
    assert cli.returncode == 4 and "cannot be reached" in cli.stderr
    data = json.loads(cli.stdout)
    assert data["state"] == "remote" and "cannot be reached" in data["remote"]["error"]


def test_a_host_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts the connection, never answers the TLS handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(remote.RemoteError, match="did not answer within 0.5 s"):
            remote.fetch(f"https://127.0.0.1:{port}/m.c2pa", timeout=0.5)


@pytest.fixture
def https_server(tmp_path):
    """A local https server with a self-signed certificate; ``routes`` maps a path to (status, headers, body)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = tmp_path / "server.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = tmp_path / "server.key"
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key_pem.chmod(0o600)
    routes = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_pem, key_pem)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=str(cert_pem))
    base = f"https://127.0.0.1:{server.server_address[1]}"
    yield base, routes, client
    server.shutdown()
    server.server_close()


def test_allow_network_fetches_and_verifies_over_https(tmp_path, https_server):
    from studio_plugins.credentials import trust
    from studio_plugins.credentials.verify import verify

    base, routes, client = https_server
    path, manifest = remote_signed(tmp_path, f"{base}/m.c2pa")
    routes["/m.c2pa"] = (200, {"Content-Type": "application/c2pa"}, manifest)
    routes["/to-http"] = (302, {"Location": "http://127.0.0.1:9/m.c2pa"}, b"")
    routes["/huge"] = (200, {"Content-Length": str(remote.MAX_BYTES + 1)}, b"")
    anchors = trust.collect({})
    result = verify(path, anchors, allow_network=True, fetch=lambda url: remote.fetch(url, 5, ssl_context=client))
    assert result["state"] == "trusted" and result["remote"]["fetched"] and result["remote"]["network_used"]
    assert result["remote"]["bytes"] == len(manifest) and result["manifests"] == 1
    with pytest.raises(remote.RemoteError, match="not https: not followed"):
        remote.fetch(f"{base}/to-http", 5, ssl_context=client)
    with pytest.raises(remote.RemoteError, match="more than Studio accepts"):
        remote.fetch(f"{base}/huge", 5, ssl_context=client)
    with pytest.raises(remote.RemoteError, match="could not be trusted"):  # the system's CAs do not know it
        remote.fetch(f"{base}/m.c2pa", 5)
