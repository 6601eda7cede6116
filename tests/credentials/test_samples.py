"""Every file in ../shared/c2pa-samples gives the outcome its README lists, with the test roots and without."""

import json

import pytest
from credentials_helpers import TEST_ROOTS, check, studio
from helpers import C2PA_SAMPLES

# file -> (state with test roots, failures with test roots), from the samples' README
WITH_ROOTS = {
    "adobe-20220124-A.jpg": ("no-credentials", []),
    "adobe-20220124-C.jpg": ("trusted", []),
    "adobe-20220124-CA.jpg": ("trusted", []),
    "adobe-20220124-CAI.jpg": ("trusted", []),
    "adobe-20220124-E-sig-CA.jpg": ("invalid", ["claimSignature.mismatch"]),
    "adobe-20220124-E-dat-CA.jpg": ("invalid", ["assertion.dataHash.mismatch"]),
    "adobe-20220124-E-uri-CA.jpg": ("invalid", ["assertion.hashedURI.mismatch"]),
    "adobe-20220124-XCA.jpg": ("invalid", ["assertion.dataHash.mismatch"]),
    "video1.mp4": ("valid", []),
    "dashinit.mp4": ("invalid", ["assertion.bmffHash.mismatch", "signingCredential.untrusted"]),
}
UNTRUSTED = "signingCredential.untrusted"


def without_roots(state, failures):
    """README: without trust anchors the Trusted rows read Valid with signingCredential.untrusted."""
    if state == "no-credentials":
        return state, []
    if state == "trusted":
        return "valid", [UNTRUSTED]
    return state, sorted(set(failures) | {UNTRUSTED})


def test_the_table_covers_every_sample():
    media = {p.name for p in C2PA_SAMPLES.iterdir() if p.suffix in (".jpg", ".mp4")}
    assert media == set(WITH_ROOTS)


@pytest.mark.parametrize("name", sorted(WITH_ROOTS))
def test_outcome_with_the_test_roots(name):
    state, failures = WITH_ROOTS[name]
    result = check(C2PA_SAMPLES / name, TEST_ROOTS, own_root=False)
    assert result["state"] == state
    assert sorted(result["failures"]) == sorted(failures)
    for detail in result["failure_details"]:  # every code explained in plain words
        assert detail["explanation"] and detail["explanation"] != detail["code"]


@pytest.mark.parametrize("name", sorted(WITH_ROOTS))
def test_outcome_without_trust_anchors(name):
    state, failures = without_roots(*WITH_ROOTS[name])
    result = check(C2PA_SAMPLES / name, own_root=False)
    assert result["state"] == state
    assert sorted(result["failures"]) == failures


def test_data_hash_mismatch_is_explained_plainly():
    result = check(C2PA_SAMPLES / "adobe-20220124-E-dat-CA.jpg", TEST_ROOTS)
    detail = result["failure_details"][0]
    assert detail["code"] == "assertion.dataHash.mismatch"
    assert detail["explanation"] == "The image content was changed after it was signed."


def test_details_of_a_trusted_sample():
    result = check(C2PA_SAMPLES / "adobe-20220124-CAI.jpg", TEST_ROOTS)
    assert result["signer"]["common_name"] == "C2PA Signer"
    assert result["signer"]["organization"] == "C2PA Test Signing Cert"
    assert result["time"].startswith("2023-01-24") and result["time_source"] == "trusted time-stamp"
    assert "make_test_images" in result["claim_generator"]
    assert [a["action"] for a in result["actions"]] == ["c2pa.opened", "c2pa.color_adjustments", "c2pa.placed",
                                                         "c2pa.resized"]
    titles = {i["title"]: (i["relationship"], i["state"]) for i in result["ingredients"]}
    assert titles == {"A.jpg": ("parentOf", "no-credentials"), "I.jpg": ("componentOf", "no-credentials")}


def test_video_ingredient_has_its_own_state():
    """video1.mp4: the active manifest is clean, but its ingredient's signer is untrusted."""
    result = check(C2PA_SAMPLES / "video1.mp4", TEST_ROOTS, own_root=False)
    assert result["manifests"] == 2
    (parent,) = result["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["has_credentials"]
    assert parent["state"] == "valid" and parent["failures"] == [UNTRUSTED]
    assert parent["signer"]["common_name"] == "Bob"


@pytest.mark.parametrize("anchors", [True, False])
def test_cli_json_for_every_sample(anchors):
    """The same outcomes through ``studio verify --json`` (one process per sample)."""
    for name, row in WITH_ROOTS.items():
        state, failures = row if anchors else without_roots(*row)
        extra = ["--trust-anchors", TEST_ROOTS] if anchors else []
        result = studio("verify", C2PA_SAMPLES / name, *extra, "--json")
        data = json.loads(result.stdout)
        assert data["state"] == state, name
        assert sorted(data["failures"]) == sorted(failures), name
        assert result.returncode == (3 if state == "invalid" else 0), name
