"""``studio batch generate``: rows of a CSV become signed, watermarked pictures, through the normal export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image


@pytest.mark.slow
def test_batch_generate_two_rows_signed_and_watermarked_and_a_bad_row(sd1_folder, tmp_path):
    prompts = tmp_path / "prompts.csv"
    prompts.write_text(
        "prompt,model,seed,steps,size,name\n"
        f"a red circle,{sd1_folder},7,2,256x256,circle.png\n"
        f"a blue square,{sd1_folder},8,2,256x256,\n"
        f"too odd,{sd1_folder},9,2,100x64,odd.png\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "studio.cli", "batch", "generate", str(prompts), "--out", str(out),
                             "--workers", "2", "--json"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3 and summary["done"] == 3 and summary["errors"] == 1

    rows = {r["index"]: r for r in map(json.loads, (out / "batch-results.jsonl").read_text().splitlines())}
    assert sorted(rows) == [0, 1, 2]
    assert rows[0]["outputs"][0]["path"] == str(out / "circle.png")
    assert Path(rows[1]["outputs"][0]["path"]).name == "0002-a-blue-square.png"
    assert "multiple of 8" in rows[2]["errors"][0] and not (out / "odd.png").exists()

    from studio.application import StudioApp

    app = StudioApp(device="cpu")
    for index, seed in ((0, 7), (1, 8)):
        item = rows[index]["outputs"][0]
        assert "c2pa.watermarked" in json.dumps(item["performed"]) and item["size"] == [256, 256]
        path = Path(item["path"])
        with Image.open(path) as im:
            assert im.size == (256, 256) and json.loads(im.text["studio"])["params"]["seed"] == seed
        sections = {s.plugin: s for s in app.file_report(path)}
        assert sections["credentials"].state in ("valid", "trusted")
        assert sections["credentials"].data.get("ai_tool_used") is True
        assert sections["watermark"].state == "present"

    # resume: the rows done are skipped, the failed one is tried again (and fails again)
    again = subprocess.run([sys.executable, "-m", "studio.cli", "batch", "generate", str(prompts), "--out", str(out),
                            "--workers", "1", "--resume", "--json"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == 2 and json.loads(again.stdout)["done"] == 1
