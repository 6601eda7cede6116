"""Soft-binding recovery: a signed, watermarked export stripped of its credentials is matched back to them."""

import io
import json

import numpy as np
import pytest
from credentials_helpers import active, generated_record, manifest_store, studio

from studio.application import StudioApp


@pytest.fixture
def app():
    """Credentials and the real watermark plugin: exports are marked, then signed."""
    import importlib.metadata

    wanted = ("credentials", "watermark")
    return StudioApp(entry_points=[ep for ep in importlib.metadata.entry_points(group="studio") if ep.name in wanted])


def picture(seed=5, size=(320, 384)):
    rng = np.random.default_rng(seed)
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.dstack([x * 200 // w + 20, y * 200 // h + 20, (x + y) * 100 // (w + h) + 60]).astype(np.int16)
    noise = rng.normal(0, 12, (h, w, 1)).astype(np.int16)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def reencode(src, dest, fmt, quality=75):
    """Strip the credentials the way a screenshot or an upload does: the pixels only, re-encoded."""
    from PIL import Image

    with Image.open(src) as im:
        pixels = np.asarray(im.convert("RGB"))
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    dest.write_bytes(out.getvalue())
    return dest


def verify_in(app, path):
    """What the Verify page and ``studio inspect`` get from the credentials plugin."""
    sections = app.host.call("studio_file_report", only="credentials", path=path, options={})
    return sections[0][1]


def test_the_export_carries_a_spec_form_soft_binding_and_is_kept_in_the_store(app, tmp_path):
    from studio_plugins.credentials.store import ManifestStore

    dest = tmp_path / "made.png"
    report = app.export.export_image(picture(), dest, generated_record())
    mark = next(p for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked")
    binding = next(a for a in active(manifest_store(dest))["assertions"] if a["label"] == "c2pa.soft-binding")
    assert binding["data"]["alg"] == "org.studio.watermark.1" == mark["alg"]
    assert bytes.fromhex(mark["payload"]) == __import__("base64").b64decode(binding["data"]["blocks"][0]["value"])
    assert binding["data"]["blocks"][0]["scope"] == {}
    with ManifestStore() as store:
        (kept,) = store.find(mark["alg"], mark["payload"])
    assert kept.title == "made.png" and kept.format == "image/png"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_stripped_copy_recovers_its_manifest_apart_from_its_own_state(app, tmp_path, fmt):
    dest = tmp_path / "made.png"
    report = app.export.export_image(picture(), dest, generated_record())
    payload = next(p["payload"] for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked")
    stripped = reencode(dest, tmp_path / f"stripped.{fmt.lower()}", fmt)

    section = verify_in(app, stripped)
    data = section.data
    assert data["state"] == "no-credentials" and data["manifests"] == 0  # never claims the file carries them
    found = data["recovered"]
    assert found["source"] == "watermark" and found["payload"] == payload
    assert found["state"] in ("trusted", "valid") and found["failures"] == []
    assert found["signer"]["common_name"] and found["exported_as"] == "made.png"
    assert [a["action"] for a in found["actions"]] == ["c2pa.created", "c2pa.watermarked"]
    assert found["ai_tool_used"] is True and "does not match this file" in found["content_binding"]
    assert not found["collision"]
    assert "recovered through its watermark" in section.outcome and "not this copy" in section.headline

    cli = studio("verify", stripped, "--json")
    assert cli.returncode == 0, cli.stderr
    data = json.loads(cli.stdout)
    assert data["state"] == "no-credentials" and data["recovered"]["payload"] == payload
    text = studio("verify", stripped).stdout
    assert "NO-CREDENTIALS" in text and f"recovered through the watermark (payload {payload})" in text


def test_a_copy_whose_payload_no_longer_decodes_is_matched_against_the_store(app, tmp_path):
    """Shrunk and noised until the mark is still found but its payload fails its check: the store's
    payloads are the candidates, and the right one is matched (and the export found again)."""
    import cv2
    from PIL import Image

    from studio_plugins.watermark import api

    for seed in range(3):  # other exports in the store, other records (payloads): candidates that must not match
        app.export.export_image(picture(seed=20 + seed), tmp_path / f"other{seed}.png",
                                generated_record(title=f"other{seed}.png"))
    dest = tmp_path / "made.png"
    report = app.export.export_image(picture(size=(640, 768)), dest, generated_record())
    payload = next(p["payload"] for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked")
    with Image.open(dest) as im:
        marked = np.asarray(im.convert("RGB"))
    damaged = None
    for scale in (0.5, 0.4, 0.3):
        for sigma in (30, 40, 50, 60):
            small = cv2.resize(marked, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            noisy = np.clip(small + np.random.default_rng(0).normal(0, sigma, small.shape), 0, 255).astype(np.uint8)
            check = api.check_image(noisy)
            if check.present and check.payload is None:
                damaged = tmp_path / "damaged.png"
                Image.fromarray(noisy).save(damaged)
                break
        if damaged is not None:
            break
    assert damaged is not None  # the attacks reach the case: the mark found, its payload damaged
    data = verify_in(app, damaged).data
    assert data["state"] == "no-credentials"
    assert data["recovered"] is not None and data["recovered"]["payload"] == payload
    assert data["recovered"]["exported_as"] == "made.png"
    from studio_plugins.credentials.store import ManifestStore

    with ManifestStore() as store:
        known = len(store.payloads("org.studio.watermark.1"))
    assert known == 4 and f"matched one of the {known} known payloads" in data["soft_bindings"][0]["name"]


def document(seed, h=320, w=480):
    """A page of black text on white: a bilevel picture, where JPEG leaves the mark too faint to search for."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 255, np.uint8)
    for row in range(12, h - 8, 18):
        x = 8
        while x < w - 40:
            word = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 9)))
            cv2.putText(img, word, (x, row), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_8)
            x += 9 * len(word) + 8
    return img


def test_a_re_encoded_copy_too_faint_to_search_for_is_read_where_the_mark_was_made(app, tmp_path):
    """A JPEG of a text page: the blind search over positions, scales and turns finds nothing, but the copy
    was not moved, so the mark is read at its origin, with the sync and the payload together."""
    from PIL import Image

    from studio_plugins.credentials.store import ManifestStore
    from studio_plugins.watermark import api
    from studio_plugins.watermark.match import best_candidate

    # fixed payloads: the reading's strength depends on them (a payload comes from the record and this
    # installation's key otherwise, new at every run)
    app.export.export_image(picture(seed=30), tmp_path / "other.png", generated_record(title="other.png"),
                            {"watermark_payload": "0f1e2d3c4b5a6978"})
    payload = "a1b2c3d4e5f60718"
    report = app.export.export_image(document(seed=1, h=600, w=800), tmp_path / "page.png",
                                     generated_record(title="page.png"), {"watermark_payload": payload})
    assert payload == next(p["payload"] for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked")
    copy = reencode(tmp_path / "page.png", tmp_path / "page-copy.jpg", "JPEG", quality=75)
    with Image.open(copy) as im:
        blind = api.check_image(np.asarray(im.convert("RGB")))
    with ManifestStore() as store:
        known = store.payloads("org.studio.watermark.1")
    assert not blind.present  # the case: nothing for a blind reader, not even against the known payloads
    found = best_candidate(blind.detection.soft_bits, known)
    assert found is None or not found.accepted
    data = verify_in(app, copy).data
    assert data["state"] == "no-credentials"
    assert data["recovered"] is not None and data["recovered"]["payload"] == payload
    assert data["recovered"]["exported_as"] == "page.png"
    assert "matched one of the 2 known payloads" in data["soft_bindings"][0]["name"]


def test_an_unmarked_image_recovers_nothing(app, tmp_path):
    from PIL import Image

    plain = tmp_path / "plain.jpg"
    Image.fromarray(picture(seed=9)).save(plain, "JPEG", quality=90)
    app.export.export_image(picture(), tmp_path / "other.png", generated_record())  # the store is not empty
    data = verify_in(app, plain).data
    assert data["state"] == "no-credentials" and data["recovered"] is None and data["soft_bindings"] == []


def test_two_exports_of_one_record_are_both_listed(app, tmp_path):
    record = generated_record()
    app.export.export_image(picture(), tmp_path / "one.png", record)
    app.export.export_image(picture(), tmp_path / "two.jpg", record)  # same record: same payload, other manifest
    stripped = reencode(tmp_path / "one.png", tmp_path / "s.png", "PNG")
    found = verify_in(app, stripped).data["recovered"]
    assert found["collision"] and {m["title"] for m in found["matches"]} == {"one.png", "two.jpg"}


def test_a_damaged_store_does_not_fail_the_export_and_is_left_alone(app, tmp_path):
    from studio_plugins.credentials.store import default_path

    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 50)
    report = app.export.export_image(picture(), tmp_path / "made.png", generated_record())
    assert any("not kept in the local manifest store" in str(n) and "damaged" in str(n) for n in report.notices)
    assert path.read_bytes() == b"not a database" * 50
    stripped = reencode(tmp_path / "made.png", tmp_path / "s.png", "PNG")
    data = verify_in(app, stripped).data
    assert data["recovered"] is None and "damaged" in data["store_note"]
