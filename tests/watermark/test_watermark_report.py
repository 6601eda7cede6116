"""The "Invisible watermark" section of the evidence report (studio inspect, the Verify view)."""

from helpers import MEDIA

from studio.document import Record


def section(app, path):
    sections = [s for s in app.file_report(path) if s.title == "Invisible watermark"]
    assert len(sections) == 1 and sections[0].plugin == "watermark"
    return sections[0]


def test_marked_export_reports_present_with_payload(make_app, tmp_path, photo):
    app = make_app()
    report = app.export.export_image(photo, tmp_path / "out.jpg", Record(action="t"))
    payload = next(p["payload"] for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked")
    found = section(app, report.path)
    assert found.state == "present" and payload in found.summary
    values = {f.label: f.value for f in found.findings}
    assert values["Payload"] == payload and values["Studio mark"] == "present"
    assert float(values["p-value"].replace("e", "E")) < 1e-6
    assert "SDXL watermark (weak signal)" in values
    assert found.data["present"] is True and found.can_tell and found.cannot_tell


def test_unmarked_file_reports_absent(make_app):
    found = section(make_app(), MEDIA / "earth_apollo17.jpg")
    assert found.state == "absent" and found.summary.startswith("Studio watermark: absent")


def test_other_files_are_left_to_other_plugins(make_app, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert not [s for s in make_app().file_report(text) if s.title == "Invisible watermark"]
