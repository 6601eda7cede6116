"""The CLIP tokenizer files, built offline from the BPE vocabulary shipped in ``configs/clip``.

Stable Diffusion's text encoders all use OpenAI's CLIP BPE vocabulary (49,408
tokens). The repository ships it compressed (1.3 MB, MIT licence, from the
``open_clip_torch`` wheel); ``vocab.json`` and ``merges.txt`` in the layout that
``transformers.CLIPTokenizer`` reads are derived from it once and cached.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import tempfile
from pathlib import Path

from studio.api import cache_dir

CONFIGS = Path(__file__).resolve().parent / "configs"
BPE_FILE = CONFIGS / "clip" / "bpe_simple_vocab_16e6.txt.gz"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
N_MERGES = 49152 - 256 - 2  # as in OpenAI's and open_clip's tokenizers: 48,894 merges


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte → printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs, strict=True)}


@functools.lru_cache(maxsize=1)
def build_vocab_and_merges() -> tuple[dict[str, int], list[str]]:
    """The 49,408-token vocabulary and the merge list, exactly as CLIP builds them."""
    lines = gzip.open(BPE_FILE).read().decode("utf-8").split("\n")
    merges = lines[1:N_MERGES + 1]
    symbols = list(bytes_to_unicode().values())
    vocab_list = symbols + [s + "</w>" for s in symbols]
    vocab_list += ["".join(m.split()) for m in merges]
    vocab_list += [BOS, EOS]
    return {token: i for i, token in enumerate(vocab_list)}, merges


def clip_tokenizer_files() -> Path:
    """A cached folder holding ``vocab.json`` and ``merges.txt`` (built on first use)."""
    folder = cache_dir() / "diffusion" / "clip-bpe"
    if (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
        return folder
    vocab, merges = build_vocab_and_merges()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".clip-bpe-", dir=folder.parent))
    (tmp / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (tmp / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    try:
        os.replace(tmp, folder)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def write_tokenizer(folder: Path, pad_token: str = EOS, model_max_length: int = 77) -> Path:
    """Write a complete ``CLIPTokenizer`` folder (vocab, merges, tokenizer and special-token configs)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = clip_tokenizer_files()
    for name in ("vocab.json", "merges.txt"):
        target = folder / name
        if not target.exists():
            try:
                os.link(source / name, target)
            except OSError:
                shutil.copyfile(source / name, target)
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": model_max_length,
        "bos_token": BOS,
        "eos_token": EOS,
        "unk_token": EOS,
        "pad_token": pad_token,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": True,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    specials = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": pad_token}
    (folder / "special_tokens_map.json").write_text(json.dumps(specials, indent=2) + "\n", encoding="utf-8")
    return folder
