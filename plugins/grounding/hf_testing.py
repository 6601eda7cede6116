"""Tiny random-weight grounding models from the real transformers classes, for tests and benchmarks (no hub).

Like transformers' own model tests: a small config, ``Model(config)``, ``save_pretrained`` (safetensors), and
a processor whose tokenizer is built from a vocabulary written here — a few dozen words, enough to tokenise
the test queries — so nothing is ever downloaded. Random weights give random boxes: these folders exercise
the plumbing (loading, coordinates, labels, thresholds), never accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS = ("a", "an", "the", "red", "blue", "green", "cat", "dog", "car", "circle", "square", "triangle", "person",
         "photo", "of", "in", "image", "what", "is", "this", "face", "tree", "sky")


def _bytes_to_unicode() -> dict[int, str]:
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


def _merges_for(words: tuple[str, ...], end: str, start: str) -> tuple[list[str], list[str]]:
    """Left-to-right merges that build each word (``start`` + word, ``end`` on its last symbol)."""
    merges: list[str] = []
    tokens: list[str] = []
    for word in words:
        symbols = [start, *word] if start else list(word)
        symbols[-1] += end
        if len(symbols) == 1:
            continue
        current = symbols[0]
        for symbol in symbols[1:]:
            merge = f"{current} {symbol}"
            if merge not in merges:
                merges.append(merge)
            current += symbol
            if current not in tokens:
                tokens.append(current)
    return merges, tokens


def write_clip_tokenizer(folder: Path) -> int:
    """A CLIP BPE tokenizer (bytes + the words of :data:`WORDS`); returns the vocabulary size."""
    symbols = list(_bytes_to_unicode().values())
    merges, tokens = _merges_for(WORDS, "</w>", "")
    vocab_list = symbols + [s + "</w>" for s in symbols] + tokens + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(vocab_list))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": 16, "bos_token": "<|startoftext|>",
              "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "!"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return len(vocab)


def write_bert_vocab(folder: Path) -> int:
    """A BERT WordPiece vocabulary: the special tokens, punctuation, letters and :data:`WORDS`."""
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "?", ",", "!"]
    tokens += list("abcdefghijklmnopqrstuvwxyz0123456789") + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]
    tokens += [w for w in WORDS if w not in tokens]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return len(tokens)


def _save(model: Any, processor: Any, folder: Path) -> Path:
    model.save_pretrained(str(folder), safe_serialization=True)
    processor.save_pretrained(str(folder))
    return folder


def tiny_owl(folder: str | Path, version: int = 2, image_size: int = 64, seed: int = 0) -> Path:
    """An OWLv2 (``version=2``) or OWL-ViT (``version=1``) detector: 2 layers of 32 channels, 8-pixel patches."""
    import torch
    from transformers import CLIPTokenizer

    if version == 2:
        from transformers import Owlv2Config as Config
        from transformers import Owlv2ForObjectDetection as Model
        from transformers import Owlv2ImageProcessorPil as ImageProcessor
        from transformers import Owlv2Processor as Processor
    else:
        from transformers import OwlViTConfig as Config  # type: ignore[assignment]
        from transformers import OwlViTForObjectDetection as Model  # type: ignore[assignment]
        from transformers import OwlViTImageProcessorPil as ImageProcessor  # type: ignore[assignment]
        from transformers import OwlViTProcessor as Processor  # type: ignore[assignment]

    folder = Path(folder)
    n = write_clip_tokenizer(folder)
    tokenizer = CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    text = dict(vocab_size=n, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                max_position_embeddings=16, bos_token_id=n - 2, eos_token_id=n - 1, pad_token_id=0)
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                  image_size=image_size, patch_size=8)
    torch.manual_seed(seed)
    model = Model(Config(text_config=text, vision_config=vision, projection_dim=32)).eval()
    size = {"height": image_size, "width": image_size}
    extra: dict[str, Any] = {} if version == 2 else {"crop_size": size, "do_center_crop": False}
    processor = Processor(image_processor=ImageProcessor(size=size, **extra), tokenizer=tokenizer)
    return _save(model, processor, folder)


def tiny_grounding_dino(folder: str | Path, image_size: int = 64, num_queries: int = 20, seed: int = 0) -> Path:
    """A Grounding DINO detector: a 1-block-per-stage Swin, a 2-layer BERT, 32-channel transformer."""
    import torch
    from transformers import (
        BertTokenizer,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessorPil,
        GroundingDinoProcessor,
        SwinConfig,
    )

    folder = Path(folder)
    n = write_bert_vocab(folder)
    tokenizer = BertTokenizer.from_pretrained(str(folder), local_files_only=True)
    backbone: dict[str, Any] = dict(window_size=7, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                                    image_size=image_size, out_features=["stage2", "stage3", "stage4"],
                                    out_indices=[2, 3, 4])
    text = dict(model_type="bert", vocab_size=n, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=8, max_position_embeddings=64)
    config = GroundingDinoConfig(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                                 decoder_attention_heads=4, encoder_ffn_dim=8, decoder_ffn_dim=8,
                                 num_queries=num_queries, num_feature_levels=4, encoder_n_points=2,
                                 decoder_n_points=2, backbone_config=SwinConfig(**backbone),
                                 max_text_len=64, text_config=text)
    torch.manual_seed(seed)
    model = GroundingDinoForObjectDetection(config).eval()
    images = GroundingDinoImageProcessorPil(size={"shortest_edge": image_size, "longest_edge": image_size * 2})
    return _save(model, GroundingDinoProcessor(image_processor=images, tokenizer=tokenizer), folder)


FLORENCE_TOKENS = ["<image>", "<od>", "</od>", "<ocr>", "</ocr>", "<cap>", "</cap>", "<ncap>", "</ncap>",
                   "<dcap>", "</dcap>", "<grounding>", "</grounding>", "<seg>", "</seg>", "<sep>",
                   "<region_cap>", "</region_cap>", "<region_to_desciption>", "</region_to_desciption>",
                   "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"]
FLORENCE_POST_PROCESSOR = {
    "ocr": {"pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>",
            "area_threshold": 0.0},
    "phrase_grounding": {"banned_grounding_tokens": ["the image"]},
    "pure_text": {}, "description_with_bboxes": {}, "description_with_polygons": {}, "polygons": {}, "bboxes": {},
    "description_with_bboxes_or_polygons": {},
}


def write_bart_tokenizer(folder: Path) -> Path:
    """A byte-level BPE (BART/GPT-2 layout) over :data:`WORDS`, with Florence-2's location and task tokens."""
    symbols = list(_bytes_to_unicode().values())
    space = _bytes_to_unicode()[ord(" ")]
    merges, tokens = _merges_for(WORDS, "", space)
    merges2, tokens2 = _merges_for(WORDS, "", "")
    merges += [m for m in merges2 if m not in merges]
    vocab_list = ["<s>", "<pad>", "</s>", "<unk>", *symbols, *tokens, *tokens2]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(vocab_list))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "BartTokenizer", "model_max_length": 256, "bos_token": "<s>", "eos_token": "</s>",
              "unk_token": "<unk>", "pad_token": "<pad>", "sep_token": "</s>", "cls_token": "<s>",
              "mask_token": "<unk>", "add_prefix_space": False,
              "extra_special_tokens": {"image_token": "<image>"}}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def tiny_florence2(folder: str | Path, image_size: int = 32, seed: int = 0) -> Path:
    """A Florence-2 (the transformers-native layout, not remote code): one DaViT stage, a 1-layer BART."""
    import torch
    from transformers import (
        AutoTokenizer,
        CLIPImageProcessorPil,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
    )

    folder = Path(folder)
    write_bart_tokenizer(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    tokenizer.add_tokens([f"<loc_{i}>" for i in range(1000)] + FLORENCE_TOKENS[1:], special_tokens=False)
    image_token_id: Any = tokenizer.convert_tokens_to_ids("<image>")
    text = dict(model_type="bart", vocab_size=len(tokenizer), max_position_embeddings=128, encoder_layers=1,
                encoder_ffn_dim=16, encoder_attention_heads=1, decoder_layers=1, decoder_ffn_dim=16,
                decoder_attention_heads=1, d_model=16, bos_token_id=0, pad_token_id=1, eos_token_id=2,
                decoder_start_token_id=2, forced_bos_token_id=0, forced_eos_token_id=2)
    vision = dict(depths=[1], patch_size=[7], patch_stride=[4], patch_padding=[3], patch_prenorm=[False],
                  embed_dim=[16], num_heads=[1], num_groups=[1], window_size=12, projection_dim=16)
    torch.manual_seed(seed)
    model = Florence2ForConditionalGeneration(
        Florence2Config(text_config=text, vision_config=vision, image_token_id=image_token_id)).eval()
    images: Any = CLIPImageProcessorPil(size={"height": image_size, "width": image_size}, do_center_crop=False,
                                   crop_size={"height": image_size, "width": image_size})
    images.image_seq_length = (image_size // 4) ** 2 + 1
    processor = Florence2Processor(image_processor=images, tokenizer=tokenizer,
                                   post_processor_config=FLORENCE_POST_PROCESSOR)
    return _save(model, processor, folder)


def pickle_only(folder: str | Path, model_type: str = "owlv2") -> Path:
    """A folder with a ``config.json`` but its weights only as a pickle (``pytorch_model.bin``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}), encoding="utf-8")
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")  # an empty pickled dict: never loaded
    return folder
