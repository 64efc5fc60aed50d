"""Fine-tune an encoder checkpoint as a four-category multi-label classifier.

:func:`train_phobert` fine-tunes PhoBERT (RoBERTa, fastBPE files, word-segmented input);
:func:`train_transformer` any BERT/RoBERTa directory with PhoBERT's files or a
``tokenizer.json`` (e.g. a multilingual-e5 BERT from :mod:`vnmod.convert_e5`), which reads
normalised plain text: no word segmentation (metadata ``"segmentation": null``).

Sigmoid head with per-category ``pos_weight`` BCE (``nan`` labels are ignored, so corpora that
label only some categories can be mixed), word-segmented input up to 256 tokens,
length-bucketed batches, AdamW with linear warmup/decay, early stopping on dev macro-F1,
per-category thresholds chosen on dev (recorded as a training metric: the classifier's
stack chooses the thresholds it applies), fixed seeds, ``cuda`` when available. Not
imported when serving.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.base import BackendUnavailable
from vnmod.backends.transformer.checkpoint import (
    META_FORMAT,
    WEIGHTS_FILE,
    default_device,
    file_record,
    library_versions,
    quiet_progress,
    require,
    resolve_checkpoint,
    write_metadata,
)
from vnmod.backends.transformer.engines import (
    ONNX_FILES,
    forward_logits,
    length_batches,
    run_sorted,
)
from vnmod.backends.transformer.phobert_tokenizer import (
    MERGES_FILE,
    VOCAB_FILE,
    FastPhobertTokenizer,
    segment_for_phobert,
    segmentation_settings,
)
from vnmod.backends.transformer.tokenizer import JSON_FILE, JsonTokenizer, load_tokenizer
from vnmod.combine import best_thresholds, sigmoid
from vnmod.taxonomy import CATEGORIES

STALE_FILES = (*ONNX_FILES.values(), "pytorch_model.bin")


def prepare_texts(texts: Sequence[Any], *, segmented: bool = False,
                  segment: bool = True) -> list[str]:
    """Raw posts (``str``) or ``Normalised`` objects -> normalised, segmented strings.

    With ``segmented=True`` strings are taken as already normalised and segmented; with
    ``segment=False`` (encoders reading plain text) they are normalised only.
    """
    if segmented:
        return [t if isinstance(t, str) else t.text for t in texts]
    from vnmod.text import normalise

    plain = [normalise(t).text if isinstance(t, str) else t.text for t in texts]
    return segment_for_phobert(plain) if segment else plain


def f1_report(proba: np.ndarray, y: np.ndarray, thresholds: dict[str, float]) -> dict[str, Any]:
    """Per-category precision/recall/F1/support and macro-F1 over categories with positives."""
    per: dict[str, dict[str, float]] = {}
    for j, cat in enumerate(CATEGORIES):
        seen = ~np.isnan(y[:, j])
        truth, pred = y[seen, j] == 1, proba[seen, j] >= thresholds[cat]
        tp = int((truth & pred).sum())
        fp, fn = int((~truth & pred).sum()), int((truth & ~pred).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        per[cat] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                    "support": int(truth.sum())}
    scored = [v["f1"] for v in per.values() if v["support"] > 0]
    return {"macro_f1": float(np.mean(scored)) if scored else 0.0, "per_label": per}


def label_summary(y: np.ndarray | None) -> dict[str, Any] | None:
    """Posts and positives per category (``nan`` = not labelled) for the metadata."""
    if y is None:
        return None
    return {"n": len(y),
            "positives": {c: int(np.nansum(y[:, j] == 1)) for j, c in enumerate(CATEGORIES)},
            "labelled": {c: int((~np.isnan(y[:, j])).sum()) for j, c in enumerate(CATEGORIES)}}


def _masked_bce(logits: Any, target: Any, seen: Any, pos_weight: Any = None,
                weight: Any = None) -> Any:
    """BCE-with-logits averaged over the labelled cells ``seen`` (``nan`` targets ignored),
    each cell counted ``weight`` times when given (``(n,)`` per row or ``(n, 4)`` per cell)."""
    import torch

    element = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.nan_to_num(target), pos_weight=pos_weight, reduction="none")
    cells = seen if weight is None else seen * (weight if weight.dim() == 2 else weight[:, None])
    return (element * cells).sum() / cells.sum().clamp(min=1e-6)


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def train_phobert(train_texts: Sequence[Any], y_train: np.ndarray,
                  dev_texts: Sequence[Any] | None = None, y_dev: np.ndarray | None = None,
                  **options: Any) -> dict[str, Any]:
    """Fine-tune a PhoBERT checkpoint (``vocab.txt`` + ``bpe.codes`` required); see
    :func:`train_transformer` for the options (``base_model`` defaults to
    ``vinai/phobert-base``, ``max_length`` to 256)."""
    options.setdefault("base_model", "vinai/phobert-base")
    return train_transformer(train_texts, y_train, dev_texts, y_dev, tokenizer_kind="phobert",
                             **options)


def train_transformer(
    train_texts: Sequence[Any],
    y_train: np.ndarray,
    dev_texts: Sequence[Any] | None = None,
    y_dev: np.ndarray | None = None,
    *,
    base_model: str | Path,
    sample_weight: np.ndarray | None = None,
    output_dir: str | Path,
    epochs: int = 4,
    batch_size: int = 32,
    lr: float = 2e-5,
    max_length: int | None = None,
    seed: int = 13,
    device: str | None = None,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    patience: int = 2,
    max_pos_weight: float = 50.0,
    segmented: bool = False,
    num_threads: int | None = None,
    freeze_embeddings: bool = False,
    tokenizer_kind: str = "auto",
    data_summary: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    checkpoint_every: int = 0,
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune ``base_model`` and save a vnmod encoder directory in ``output_dir``.

    Parameters
    ----------
    train_texts, dev_texts : sequence of str or Normalised
        Raw posts (normalised and, for PhoBERT, segmented here) or ``Normalised`` objects;
        with ``segmented=True``, strings already normalised and segmented (PhoBERT).
    y_train, y_dev : array (n, 4)
        1/0 per category in ``CATEGORIES`` order; ``nan`` = not labelled (ignored).
    base_model : str or path
        A Hugging Face id in the local cache (``vinai/phobert-base``) or a checkpoint
        directory with PhoBERT's tokenizer files or a ``tokenizer.json``.
    sample_weight : array (n,) or (n, 4), optional
        How many times each training post (or each of its labels) counts in the loss, as
        the linear backend's ``sample_weight``: real posts labelled under the policy count more.
    output_dir : path
        Receives ``model.safetensors``, ``config.json``, tokenizer files, ``vnmod_phobert.json``.
    tokenizer_kind : {"auto", "phobert", "json"}
        ``auto``: PhoBERT's files when present, else ``tokenizer.json``. With a
        ``tokenizer.json`` posts are not word-segmented (``"segmentation": null``).
    freeze_embeddings : bool
        Keep the word embeddings fixed (fewer trainable weights; suits a large multilingual
        vocabulary fine-tuned on few posts).
    epochs, batch_size, lr, warmup_ratio, weight_decay : training schedule (AdamW, linear).
    max_length : int
        Tokens per post including the special tokens; default 256 for PhoBERT, 64 for
        a ``tokenizer.json`` encoder (as multilingual-e5 was trained).
    patience : int
        Stop after this many epochs without a better dev macro-F1.
    data_summary : dict, optional
        What the caller wants recorded about the corpora (names, splits, licences).
    checkpoint_every : int
        Write ``output_dir/checkpoint/`` every this many steps (and after every epoch); 0: no
        checkpoints. Deleted once the model is saved.
    resume : bool
        Go on from ``output_dir/checkpoint/`` when one of this same run is there (rows,
        labels, schedule and base model must match), else start afresh.

    Returns
    -------
    dict
        ``dev`` (macro-F1, per-label scores), ``thresholds``, ``best_epoch``, ``history``,
        ``step_losses``, ``output_dir``, ``device``, ``seconds``.
    """
    require("torch", "transformers")
    import torch
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

    say = log or (lambda _msg: None)
    t0 = time.perf_counter()
    base_dir = resolve_checkpoint(base_model)
    if tokenizer_kind not in ("auto", "phobert", "json"):
        raise ValueError(f"tokenizer_kind must be auto, phobert or json, not {tokenizer_kind!r}")
    if max_length is None:
        phobert_files = (base_dir / VOCAB_FILE).is_file() and (base_dir / MERGES_FILE).is_file()
        max_length = 256 if tokenizer_kind == "phobert" or (
            tokenizer_kind == "auto" and phobert_files) else 64
    tokenizer: Any
    try:
        if tokenizer_kind == "phobert":
            tokenizer = FastPhobertTokenizer.from_directory(base_dir, max_length)
        elif tokenizer_kind == "json":
            tokenizer = JsonTokenizer.from_file(base_dir / JSON_FILE, max_length)
        else:
            tokenizer = load_tokenizer(base_dir, max_length)
    except FileNotFoundError as exc:
        if tokenizer_kind == "phobert":
            raise BackendUnavailable(
                f"{base_dir} has no PhoBERT tokenizer files ({exc}); only PhoBERT-style "
                "checkpoints (vocab.txt + bpe.codes) fit; for an encoder with a "
                "tokenizer.json use --backend transformer") from exc
        raise BackendUnavailable(f"{base_dir}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(f"{base_dir}: tokenizer unusable ({exc})") from exc
    segment = isinstance(tokenizer, FastPhobertTokenizer)
    _seed_everything(seed)
    if num_threads:
        torch.set_num_threads(num_threads)
    dev_name = device or default_device()
    dev = torch.device(dev_name)
    y_train = np.asarray(y_train, dtype=np.float32)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float32)
        if weights.shape not in ((len(y_train),), y_train.shape) \
                or not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError(f"sample_weight must hold finite weights >= 0 of shape "
                             f"({len(y_train)},) or {y_train.shape}, not {weights.shape}")
    y_dev = None if y_dev is None else np.asarray(y_dev, dtype=np.float32)
    say("segmenting" if segment else "tokenizing")
    x_train = tokenizer.encode(prepare_texts(train_texts, segmented=segmented, segment=segment))
    x_dev = (tokenizer.encode(prepare_texts(dev_texts, segmented=segmented, segment=segment))
             if dev_texts else None)

    with quiet_progress():
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=len(CATEGORIES), problem_type="multi_label_classification",
            id2label=dict(enumerate(CATEGORIES)),
            label2id={c: i for i, c in enumerate(CATEGORIES)}, ignore_mismatched_sizes=True,
        )
    # RoBERTa-family position ids start after the padding index: two positions fewer
    offset = 2 if model.config.model_type in ("roberta", "xlm-roberta", "camembert") else 0
    if model.config.max_position_embeddings - offset < max_length:
        raise ValueError(f"max_length {max_length} exceeds the checkpoint's "
                         f"{model.config.max_position_embeddings - offset} positions")
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    model.to(dev)
    pos = np.nansum(y_train == 1, axis=0)
    neg = np.nansum(y_train == 0, axis=0)
    pos_weight = np.where(pos > 0, np.clip(neg / np.maximum(pos, 1), 1.0, max_pos_weight), 1.0)
    pw = torch.tensor(pos_weight, dtype=torch.float32, device=dev)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm")
    groups = [
        {"params": [p for n, p in model.named_parameters()
                    if p.requires_grad and not any(k in n for k in no_decay)],
         "weight_decay": weight_decay},
        {"params": [p for n, p in model.named_parameters()
                    if p.requires_grad and any(k in n for k in no_decay)],
         "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=lr)
    steps_per_epoch = -(-len(x_train) // batch_size)
    total = max(1, steps_per_epoch * epochs)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * total), total)
    amp = dev.type == "cuda" and torch.cuda.is_bf16_supported()
    lengths = np.array([len(s) for s in x_train])
    rng = np.random.default_rng(seed)

    def loss_fn(rows: np.ndarray, seqs: Sequence[np.ndarray], y: np.ndarray) -> Any:
        batch = tokenizer.pad([seqs[i] for i in rows])
        target = torch.from_numpy(y[rows]).to(dev)
        seen = ~torch.isnan(target)
        weight = None if weights is None else torch.from_numpy(weights[rows]).to(dev)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
            logits = forward_logits(model, dev, batch["input_ids"], batch["attention_mask"])
        return _masked_bce(logits.float(), target, seen, pos_weight=pw, weight=weight)

    def evaluate() -> tuple[np.ndarray, float]:
        model.eval()
        with torch.inference_mode():
            logits = run_sorted(
                lambda i, m: forward_logits(model, dev, i, m).float().cpu().numpy(),
                tokenizer, x_dev, batch_size * 2)
            loss = float(_masked_bce(torch.from_numpy(logits), torch.from_numpy(y_dev),
                                     torch.from_numpy(~np.isnan(y_dev))))
        return sigmoid(logits), loss

    history: list[dict[str, Any]] = []
    step_losses: list[float] = []
    best: dict[str, Any] = {"score": (-1.0, 0.0), "epoch": 0, "state": None}
    stale = 0
    from vnmod.backends.transformer import resume as checkpoints

    folder = Path(output_dir) / checkpoints.FOLDER
    run_print = checkpoints.fingerprint(
        rows=len(x_train), labels=float(np.nansum(y_train)),
        weights=None if weights is None else float(weights.sum()), epochs=epochs,
        batch_size=batch_size, lr=lr, seed=seed, max_length=max_length,
        base_model=str(base_model), freeze_embeddings=freeze_embeddings)
    first_epoch, skip, losses, epoch_rng = 1, 0, [], None
    if resume and (folder / checkpoints.PROGRESS).is_file():
        done, best_state = checkpoints.load(folder, model=model, optimizer=optimizer,
                                            scheduler=scheduler, expected=run_print)
        first_epoch, skip, losses = done["epoch"], done["step"], done["losses"]
        epoch_rng, history, step_losses = done["epoch_rng"], done["history"], \
            done["step_losses"]
        best = {"score": tuple(done["best_score"]), "epoch": done["best_epoch"],
                "state": best_state}
        stale = done["stale"]
        say(f"resumed from {folder}: epoch {first_epoch}, {skip} steps done")

    def checkpoint(epoch: int, step: int, epoch_losses: list[float], state: Any) -> None:
        checkpoints.save(folder, model=model, optimizer=optimizer, scheduler=scheduler,
                         best_state=best["state"], progress={
                             "fingerprint": run_print, "epoch": epoch, "step": step,
                             "losses": epoch_losses, "epoch_rng": state, "history": history,
                             "step_losses": step_losses, "best_score": list(best["score"]),
                             "best_epoch": best["epoch"], "stale": stale})

    for epoch in range(first_epoch, epochs + 1):
        model.train()
        if epoch_rng is not None:  # the batches of the epoch a checkpoint stopped in
            rng.bit_generator.state = epoch_rng
        epoch_rng = rng.bit_generator.state
        batches = length_batches(lengths, batch_size, rng)
        for step, rows in enumerate(batches[skip:], start=skip + 1):
            loss = loss_fn(rows, x_train, y_train)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            if checkpoint_every and step % checkpoint_every == 0 and step < len(batches):
                checkpoint(epoch, step, losses, epoch_rng)
                say(f"epoch {epoch}: {step}/{len(batches)} steps, loss "
                    f"{np.mean(losses[-checkpoint_every:]):.4f}, checkpoint written")
        skip, epoch_rng = 0, None
        step_losses += losses
        record: dict[str, Any] = {"epoch": epoch, "train_loss": float(np.mean(losses))}
        if x_dev is not None and y_dev is not None:
            proba, dev_loss = evaluate()
            report = f1_report(proba, y_dev, best_thresholds(proba, y_dev))
            record.update(dev_loss=dev_loss, dev_macro_f1=report["macro_f1"])
            score = (report["macro_f1"], -dev_loss)
        else:
            score = (float(epoch), 0.0)  # no dev set: keep the last epoch
        history.append(record)
        say(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in record.items()
                                           if k != "epoch"))
        if score > best["score"]:
            best = {"score": score, "epoch": epoch,
                    "state": {k: v.detach().to("cpu", copy=True)
                              for k, v in model.state_dict().items()}}
            stale = 0
        else:
            stale += 1
        losses = []
        if checkpoint_every and epoch < epochs:  # the next epoch starts from here
            checkpoint(epoch + 1, 0, losses, rng.bit_generator.state)
        if stale >= patience:
            say(f"early stop: no dev macro-F1 gain for {patience} epochs")
            break
    model.load_state_dict(best["state"])
    thresholds = {c: 0.5 for c in CATEGORIES}
    dev_report = None
    if x_dev is not None and y_dev is not None:
        proba, dev_loss = evaluate()
        thresholds = best_thresholds(proba, y_dev)
        dev_report = {**f1_report(proba, y_dev, thresholds), "loss": dev_loss}

    metrics = {"dev": dev_report, "thresholds": thresholds, "best_epoch": best["epoch"],
               "epochs_run": len(history), "history": history, "step_losses": step_losses,
               "device": dev_name, "seconds": round(time.perf_counter() - t0, 2)}
    out = _save(model.to("cpu"), tokenizer, base_dir, Path(output_dir), {
        "labels": list(CATEGORIES),
        "trained_labels": [c for c, p in zip(CATEGORIES, pos, strict=True) if p > 0],
        "thresholds": thresholds,
        "max_length": max_length,
        "segmentation": None if not segment else segmentation_settings() if not segmented
        else {**segmentation_settings(), "applied_by": "caller (segmented=True)"},
        "base_model": str(base_model),
        "training": {"train": label_summary(y_train), "dev": label_summary(y_dev),
                     "data": data_summary, "pos_weight": dict(zip(CATEGORIES,
                                                                  map(float, pos_weight),
                                                                  strict=True)),
                     "hyperparameters": {"epochs": epochs, "batch_size": batch_size, "lr": lr,
                                         "warmup_ratio": warmup_ratio, "seed": seed,
                                         "weight_decay": weight_decay, "patience": patience,
                                         "device": dev_name, "bf16": amp,
                                         "freeze_embeddings": freeze_embeddings,
                                         "sample_weight": None if weights is None else {
                                             "min": float(weights.min()),
                                             "max": float(weights.max())}}},
        "metrics": {k: metrics[k] for k in ("dev", "best_epoch", "epochs_run", "history")},
    })
    shutil.rmtree(folder, ignore_errors=True)
    metrics["output_dir"] = str(out)
    return metrics


def _save(model: Any, tokenizer: Any, base_dir: Path, output_dir: Path,
          meta: dict[str, Any]) -> Path:
    """``save_pretrained`` (safetensors) + tokenizer files + ``vnmod_phobert.json``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    phobert = isinstance(tokenizer, FastPhobertTokenizer)
    # files of the other tokenizer kind left by an earlier run would be read instead
    stale = STALE_FILES if phobert else (*STALE_FILES, VOCAB_FILE, MERGES_FILE)
    for name in stale:
        (output_dir / name).unlink(missing_ok=True)
    with quiet_progress():
        model.save_pretrained(output_dir, safe_serialization=True)
    if phobert:
        _save_phobert_tokenizer(tokenizer, base_dir, output_dir, meta["max_length"])
    elif (base_dir / JSON_FILE).resolve() != (output_dir / JSON_FILE).resolve():
        shutil.copyfile(base_dir / JSON_FILE, output_dir / JSON_FILE)
    meta = {"format": META_FORMAT, **meta, "versions": library_versions(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": {name: file_record(output_dir / name)
                      for name in (WEIGHTS_FILE, "config.json")}}
    write_metadata(output_dir, meta)
    return output_dir


def _save_phobert_tokenizer(tokenizer: FastPhobertTokenizer, base_dir: Path, output_dir: Path,
                            max_length: int) -> None:
    from transformers import PhobertTokenizer

    if (base_dir / VOCAB_FILE).resolve() != (output_dir / VOCAB_FILE).resolve():
        for name in (VOCAB_FILE, MERGES_FILE):
            shutil.copyfile(base_dir / name, output_dir / name)
    PhobertTokenizer(str(output_dir / VOCAB_FILE), str(output_dir / MERGES_FILE),
                     model_max_length=max_length).save_pretrained(output_dir)
    tokenizer.save(output_dir)
