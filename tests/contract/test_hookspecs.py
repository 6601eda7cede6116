"""The hook specifications are the plugin author's reference: each must be documented."""

import inspect

import numpy as np

from studio import hookspecs

HOOKS = [name for name in dir(hookspecs) if name.startswith("studio_")]


def test_there_are_hooks():
    assert {"studio_actions", "studio_export_steps", "studio_commands", "studio_file_report"} <= set(HOOKS)


def test_every_hook_is_documented_and_typed():
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        doc = inspect.getdoc(fn) or ""
        assert len(doc.split()) >= 15, f"{name} needs a docstring that tells a plugin author what to return"
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name}) is untyped"


def test_readme_guide_names_every_hook():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    for name in HOOKS:
        assert name in readme, f"the plugin guide does not mention {name}"


def test_the_guide_example_runs(gradient):
    """The complete example in docs/plugins.md works as printed."""
    import re
    import types
    from pathlib import Path

    from studio.application import StudioApp
    from studio.document import Layer
    from studio.jobs import Job, JobState, execute

    text = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    source = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    module = types.ModuleType("my_studio_posterize")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    app = StudioApp()
    app.host.register(module, "posterize")
    job = execute(Job(app.action("posterize.apply"), {"image": Layer(gradient), "levels": 2}), app)
    assert job.state == JobState.FINISHED, job.error
    out = job.result.images[0].pixels[..., :3]
    assert set(np.unique(out)) <= {0, 128}
