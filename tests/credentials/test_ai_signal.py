"""``credentials.ai_assertion``: flagged when readable Content Credentials declare a generative-AI source."""

from studio_plugins.credentials.report import ai_signal


def test_declared_undeclared_and_absent():
    assert ai_signal({"manifests": [{}], "ai_tool_used": True}).verdict == "flagged"
    assert ai_signal({"manifests": [{}], "ai_tool_used": False}).verdict == "clear"
    absent = ai_signal({"state": "no-credentials"})
    assert absent.verdict == "not-run" and absent.score is None
    assert absent.false_positive_rate == 0.0  # measured by bench/signal_calibration.py: no photo declares it
