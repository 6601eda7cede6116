"""Every built-in hook implementation receives the arguments it names.

pluggy passes a hook implementation only the arguments it declares *without* a default: one written
``candidates=None`` would silently never get the caller's value.
"""

from __future__ import annotations

import inspect


def test_no_builtin_hookimpl_gives_a_spec_argument_a_default(make_app):
    app = make_app()
    pm = app.host.pm
    offenders = []
    for name in pm.hook.__dict__:
        caller = getattr(pm.hook, name)
        spec = getattr(caller, "spec", None)
        if spec is None:
            continue
        for impl in caller.get_hookimpls():
            params = inspect.signature(impl.function).parameters
            offenders += [f"{impl.plugin_name}.{name}({p})" for p in spec.argnames
                          if p in params and params[p].default is not inspect.Parameter.empty]
    assert offenders == []
    assert any(getattr(pm.hook, n).get_hookimpls() for n in ("studio_find_soft_bindings",))
