"""Build a tiny, valid CLIP BPE tokenizer (vocab.json + merges.txt) for the shapes world.

Every world word becomes a single token ("red</w>"); any other lowercase ASCII text still
tokenises (into characters) because every printable character is in the vocabulary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from studio.world.vocab import caption_words  # noqa: E402

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LENGTH = 48


def _bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """Apply CLIP-style BPE (lowest-rank pair first) to one word."""
    parts = list(word[:-1]) + [word[-1] + "</w>"]
    while len(parts) > 1:
        pairs = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:], strict=False))]
        rank, _ = min(pairs)
        if rank == 1 << 30:
            break
        pair = next((parts[i], parts[i + 1]) for r, i in pairs if r == rank)
        merged: list[str] = []
        i = 0
        while i < len(parts):
            if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                merged.append(parts[i] + parts[i + 1])
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


def build_merges(words: list[str]) -> list[tuple[str, str]]:
    """Merges that turn each word into one token, found by adding a merge for the first
    unmerged pair until every word is whole (a fixed point over all words)."""
    merges: list[tuple[str, str]] = []
    ranks: dict[tuple[str, str], int] = {}
    changed = True
    while changed:
        changed = False
        for word in words:
            parts = _bpe(word, ranks)
            while len(parts) > 1:
                pair = (parts[0], parts[1])
                ranks[pair] = len(merges)
                merges.append(pair)
                changed = True
                parts = _bpe(word, ranks)
    return merges


def build_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    """Characters (bare and word-final), merge results, then the special tokens."""
    chars = [chr(c) for c in range(33, 127)]
    tokens: list[str] = chars + [c + "</w>" for c in chars]
    for a, b in merges:
        if a + b not in tokens:
            tokens.append(a + b)
    tokens += [BOS, EOS]
    return {tok: i for i, tok in enumerate(tokens)}


def write_tokenizer(folder: Path, max_length: int = MAX_LENGTH) -> int:
    """Write the tokenizer files into ``folder``; return the vocabulary size."""
    folder.mkdir(parents=True, exist_ok=True)
    words = caption_words()
    merges = build_merges(words)
    vocab = build_vocab(merges)
    (folder / "vocab.json").write_text(json.dumps(vocab, indent=0, ensure_ascii=False) + "\n")
    lines = ["#version: 0.2 - shapes-world BPE"] + [f"{a} {b}" for a, b in merges]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": max_length,
        "bos_token": BOS,
        "eos_token": EOS,
        "unk_token": EOS,
        "pad_token": EOS,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    specials = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}
    (folder / "special_tokens_map.json").write_text(json.dumps(specials, indent=2) + "\n")
    return len(vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    print("vocab size", write_tokenizer(args.folder))


if __name__ == "__main__":
    main()
