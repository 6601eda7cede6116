"""Schedulers by name, built from the model's own scheduler config (its noise schedule is kept)."""

from __future__ import annotations

from typing import Any

from studio.api import BadInputError

# name -> (AUTOMATIC1111 sampler label, diffusers class, settings on top of the model's config)
SCHEDULERS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "euler": ("Euler", "EulerDiscreteScheduler", {}),
    "euler_a": ("Euler a", "EulerAncestralDiscreteScheduler", {}),
    "dpmpp_2m_karras": ("DPM++ 2M Karras", "DPMSolverMultistepScheduler",
                        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}),
    "ddim": ("DDIM", "DDIMScheduler", {}),
    "lcm": ("LCM", "LCMScheduler", {}),
}
# DDIM's own defaults clip x0 and force alpha 1 at the end, which Stable Diffusion does not use
MISSING_DEFAULTS = {"DDIMScheduler": {"clip_sample": False, "set_alpha_to_one": False}}
FLOW_MATCH = "FlowMatchEulerDiscreteScheduler"
CHOICES = ("auto", *SCHEDULERS)


def make_scheduler(name: str, base: Any, allowed: tuple[str, ...]) -> Any:
    """A scheduler for ``name`` configured from ``base`` (the model's scheduler); ``auto`` keeps it."""
    import diffusers

    config = dict(base.config)
    if name == "auto":
        return type(base).from_config(config)
    if name not in allowed:
        raise BadInputError(f"The scheduler '{name}' is not available for this model; choose "
                            f"{', '.join(('auto', *allowed))}.")
    if type(base).__name__ == FLOW_MATCH:  # flow-matching families: their Euler is the flow-match one
        return type(base).from_config(config)
    _label, cls_name, extra = SCHEDULERS[name]
    for key, value in MISSING_DEFAULTS.get(cls_name, {}).items():
        config.setdefault(key, value)
    config.update(extra)
    return getattr(diffusers, cls_name).from_config(config)


def sampler_label(scheduler: Any) -> str:
    """The AUTOMATIC1111 sampler name for a scheduler object."""
    cls = type(scheduler).__name__
    config = getattr(scheduler, "config", {})
    if cls == "DPMSolverMultistepScheduler":
        return "DPM++ 2M Karras" if config.get("use_karras_sigmas") else "DPM++ 2M"
    for label, name, _extra in SCHEDULERS.values():
        if name == cls:
            return label
    return {"PNDMScheduler": "PLMS", FLOW_MATCH: "Euler", "UniPCMultistepScheduler": "UniPC",
            "HeunDiscreteScheduler": "Heun", "DDPMScheduler": "DDPM"}.get(cls, cls.replace("Scheduler", ""))


def describe(scheduler: Any) -> dict[str, Any]:
    """The scheduler's class and full configuration, JSON-safe, for the record."""
    config = {k: v for k, v in dict(scheduler.config).items() if not k.startswith("_")}
    safe = {}
    for key, value in config.items():
        if isinstance(value, tuple):
            value = list(value)
        if value is None or isinstance(value, (str, int, float, bool, list)):
            safe[key] = value
        else:
            safe[key] = str(value)
    return {"class": type(scheduler).__name__, "config": safe}
