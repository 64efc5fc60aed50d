"""Checkpoints of an encoder fine-tuning run, so that a long CPU run can stop and go on later.

A checkpoint is a folder of data files, no pickle: the model's weights, the best epoch's
weights, the optimizer's moments and the torch random state in safetensors files; the
optimizer's and scheduler's settings, the progress (epoch, batches done, the numpy generator's
state at the epoch's start, losses, history) and a fingerprint of the run in ``progress.json``.
A checkpoint is written to a temporary folder and then renamed, so a run killed while writing
leaves the previous one whole. Resuming refuses a checkpoint whose fingerprint (rows, labels,
schedule, base model) differs from the run asking for it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

FOLDER = "checkpoint"
PROGRESS = "progress.json"


def fingerprint(**settings: Any) -> dict[str, Any]:
    """What must match for a checkpoint to continue a run (JSON-comparable values)."""
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def save(directory: Path, *, model: Any, optimizer: Any, scheduler: Any,
         progress: dict[str, Any], best_state: dict[str, Any] | None) -> Path:
    """Write the run's state into ``directory`` (replaced whole)."""
    import torch
    from safetensors.torch import save_file, save_model

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(model, str(tmp / "model.safetensors"))
    if best_state is not None:
        save_file({k: v.contiguous() for k, v in best_state.items()},
                  str(tmp / "best.safetensors"))
    state = optimizer.state_dict()
    moments = {f"{index}.{name}": value.detach().cpu().contiguous()
               for index, entries in state["state"].items()
               for name, value in entries.items() if torch.is_tensor(value)}
    save_file(moments or {"empty": torch.zeros(0)}, str(tmp / "optimizer.safetensors"))
    save_file({"torch": torch.get_rng_state()}, str(tmp / "rng.safetensors"))
    meta = {"progress": progress, "optimizer_groups": state["param_groups"],
            "scheduler": {k: v for k, v in scheduler.state_dict().items()
                          if k != "lr_lambdas"}}
    (tmp / PROGRESS).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return directory


def load(directory: Path, *, model: Any, optimizer: Any, scheduler: Any,
         expected: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Restore the run's state from ``directory``; return (progress, best weights or None).

    Raises
    ------
    ValueError
        The checkpoint belongs to another run (its fingerprint differs).
    """
    import torch
    from safetensors.torch import load_file, load_model

    directory = Path(directory)
    meta = json.loads((directory / PROGRESS).read_text(encoding="utf-8"))
    progress = meta["progress"]
    if progress.get("fingerprint") != expected:
        diff = sorted(k for k in set(expected) | set(progress.get("fingerprint", {}))
                      if expected.get(k) != progress.get("fingerprint", {}).get(k))
        raise ValueError(f"{directory} is the checkpoint of another run (differs in {diff}); "
                         "delete it or train without resuming")
    load_model(model, str(directory / "model.safetensors"))
    moments = load_file(str(directory / "optimizer.safetensors"))
    state: dict[int, dict[str, Any]] = {}
    for key, value in moments.items():
        if key == "empty":
            continue
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["optimizer_groups"]})
    scheduler.load_state_dict({**meta["scheduler"], "lr_lambdas": [None] *
                               len(meta["optimizer_groups"])})
    torch.set_rng_state(load_file(str(directory / "rng.safetensors"))["torch"])
    best_file = directory / "best.safetensors"
    best = load_file(str(best_file)) if best_file.is_file() else None
    return progress, best
