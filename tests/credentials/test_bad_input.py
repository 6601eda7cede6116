"""Bad input: a clear one-line message, a non-zero exit, no traceback, and no partial output."""

import pytest
from credentials_helpers import check, generated_record, studio
from helpers import MEDIA
from PIL import Image

from studio.errors import BadInputError


def _one_line_error(result, *needles):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("studio: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture
def bad_files(tmp_path, app, pixels):
    """A signed JPEG and damaged variants of files."""
    signed = tmp_path / "signed.jpg"
    app.export.export_image(pixels, signed, generated_record())
    data = signed.read_bytes()
    files = {
        "text": ("notes.txt", b"just some words, not a picture\n" * 10),
        "text_as_jpg": ("notes.jpg", b"just some words, not a picture\n" * 10),
        "empty": ("empty.png", b""),
        "truncated_signed": ("cut.jpg", data[: len(data) // 3]),
        "truncated_plain": ("cut-plain.jpg", (MEDIA / "earth_apollo17.jpg").read_bytes()[:40000]),
        "bmp": ("picture.bmp", None),
        "corrupt_manifest": ("corrupt.jpg", None),
    }
    out = {}
    for key, (name, content) in files.items():
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        if key == "bmp":
            Image.fromarray(pixels).save(path)
        elif key == "corrupt_manifest":  # the manifest's first box header destroyed
            damaged = bytearray(data)
            start = damaged.index(b"jumb")
            damaged[start + 20:start + 60] = b"\x00" * 40
            path.write_bytes(bytes(damaged))
        else:
            path.write_bytes(content)
        out[key] = path
    return out


@pytest.mark.parametrize("key,needle", [
    ("text", "not a media file"),
    ("text_as_jpg", "not a media file"),
    ("empty", "empty (0 bytes)"),
    ("truncated_signed", "damaged or truncated"),
    ("truncated_plain", "damaged or truncated"),
    ("bmp", "BMP file, a format that cannot carry Content Credentials"),
])
def test_verify_refuses_unreadable_files(bad_files, key, needle):
    _one_line_error(studio("verify", bad_files[key]), needle)
    with pytest.raises(BadInputError, match=needle.split(" (")[0]):
        check(bad_files[key])


def test_verify_of_a_corrupt_manifest_is_invalid_and_says_so(bad_files):
    result = studio("verify", bad_files["corrupt_manifest"], "--json")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["state"] == "invalid" and data["failures"] == ["general.error"]
    assert "damaged and cannot be read" in data["failure_details"][0]["explanation"]


def test_verify_missing_file_and_folder(tmp_path):
    _one_line_error(studio("verify", tmp_path / "nope.jpg"), "does not exist")
    _one_line_error(studio("verify", tmp_path), "is a folder")


@pytest.mark.parametrize("key,needle", [
    ("text", "not a file Studio can sign"),
    ("text_as_jpg", "named like a JPEG file but is not one"),
    ("empty", "empty (0 bytes)"),
    ("truncated_signed", "damaged or truncated"),
    ("truncated_plain", "damaged or truncated"),
    ("bmp", "BMP file, which Studio cannot sign"),
])
def test_sign_refuses_bad_files_and_writes_nothing(bad_files, tmp_path, key, needle):
    src = bad_files[key]
    out = tmp_path / "out" / f"signed{src.suffix}"
    out.parent.mkdir()
    _one_line_error(studio("sign", src, "--out", out), needle)
    assert list(out.parent.iterdir()) == [], "no partial output"


def test_sign_refuses_to_sign_over_damaged_credentials(bad_files, tmp_path):
    out = tmp_path / "o.jpg"
    _one_line_error(studio("sign", bad_files["corrupt_manifest"], "--out", out), "damaged and cannot be read",
                    "will not sign over them")
    assert not out.exists() and _leftovers(tmp_path) == []


def test_sign_refuses_a_misnamed_file(tmp_path):
    src = tmp_path / "really-a-png.jpg"
    src.write_bytes((MEDIA / "sample1.png").read_bytes())
    _one_line_error(studio("sign", src, "--out", tmp_path / "o.jpg"), "holds a PNG")
    assert not (tmp_path / "o.jpg").exists()


def test_sign_keeps_the_previous_output_when_it_fails(tmp_path, bad_files):
    out = tmp_path / "o.jpg"
    out.write_bytes(b"the previous file")
    _one_line_error(studio("sign", bad_files["truncated_plain"], "--out", out), "damaged")
    assert out.read_bytes() == b"the previous file" and _leftovers(tmp_path) == []


def test_export_of_a_corrupt_identity_is_clear_in_the_cli(tmp_path, png_file):
    from studio.settings import config_dir

    assert studio("credentials", "init").returncode == 0
    chain = config_dir() / "credentials" / "signing-chain.pem"
    chain.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    out = tmp_path / "b.png"
    _one_line_error(studio("adjust", "blur", png_file, "--out", out), "stored signing identity cannot be used")
    assert not out.exists() and _leftovers(tmp_path) == []
    assert "PRIVATE" not in studio("adjust", "blur", png_file, "--out", out).stderr


def test_key_not_matching_the_stored_certificate(tmp_path, png_file):
    from credentials_helpers import write_pem_identity

    from studio.settings import config_dir

    assert studio("credentials", "init").returncode == 0
    _, other_key, _ = write_pem_identity(tmp_path / "other", "Other")
    (config_dir() / "credentials" / "signing-key.pem").write_bytes(other_key.read_bytes())
    out = tmp_path / "k.jpg"
    _one_line_error(studio("sign", MEDIA / "earth_apollo17.jpg", "--out", out), "does not belong to the certificate")
    assert not out.exists()
