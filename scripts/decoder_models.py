"""Decoder language models of the battery (issue 56): a Llama-like decoder as
torch exports it, for a prompt (prefill) and for one decode step with a KV
cache, written into battery folders the way export_workloads.py writes the
image networks' (model.onnx, inputs, the float64 reference output, meta.json
last).

The model is Llama's block in plain torch, as a user writes it: token ids ->
nn.Embedding, RMSNorm (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
* weight), causal self-attention (one Linear for q, k and v, heads by view and
transpose, rotary position embeddings on q and k as Llama's apply_rotary_pos_emb
writes them, the scores' mask by masked_fill with -inf), SwiGLU
(w2(F.silu(w1(x)) * w3(x))), a last RMSNorm and the logits. The decode step
takes each layer's cached keys and values [1, P, C] as graph inputs and
returns them with the new token's appended (torch.cat along the tokens,
before the heads are split, as llama2.c keeps its cache); one query sees every
key, so it has no mask; its new token's q and k are rotated to position P
(the cache holds rotated keys). Two other forms are in DecoderShape:
F.scaled_dot_product_attention(is_causal=True) in place of the masked scores
(SdpaCausal: Debian's torch 1.13 has no such function, so its export is
written as torch >= 2.1's), and the cache in Hugging Face's layout
[1, h, P, d], concatenated after the heads split.

Weights are seeded normal draws scaled by 1 / sqrt(fan-in) (RMSNorm gains near
1), so activations keep their size through the blocks; the health check asks
for finite logits that depend on the ids.
"""

import copy
import dataclasses
import math
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F


# Recorded in each folder's meta.json; a folder of another version is exported again.
# 2: rotary position embeddings. 3: scaled_dot_product_attention (SdpaCausal), the
# attention and cache forms in DecoderShape.
VERSION = "decoder_models/4"


@dataclasses.dataclass(frozen=True)
class DecoderShape:
    vocabulary: int
    width: int        # C, the token features
    heads: int
    hidden: int       # SwiGLU's inner width
    layers: int
    tokens: int       # the prompt's length (prefill), or 1 (a decode step)
    past: int         # the cached tokens of a decode step (0: prefill)
    # "masked_fill": the scores masked by masked_fill(-inf) (nanoGPT's, llama2.c's
    # form); "sdpa": F.scaled_dot_product_attention(q, k, v, is_causal=True) as
    # torch >= 2.1 exports it (SdpaCausal).
    attention: str = "masked_fill"
    # "tokens": the cache [1, P, C], concatenated before the heads split
    # (llama2.c); "heads": [1, h, P, d], concatenated along axis 2 after it
    # (Hugging Face's past_key_values).
    cache: str = "tokens"
    # Grouped-query attention: the key and value heads, each shared by
    # heads / kv_heads query heads and repeated as Hugging Face's repeat_kv
    # does (0: one per query head).
    kv_heads: int = 0

    @property
    def key_heads(self) -> int:
        return self.kv_heads or self.heads

    @property
    def key_width(self) -> int:
        return self.key_heads * (self.width // self.heads)


class RMSNorm(nn.Module):
    def __init__(self, width: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary_tables(s: DecoderShape) -> Tuple[torch.Tensor, torch.Tensor]:
    """Llama's cos and sin [positions, d] for positions 0 .. tokens + past - 1."""
    d = s.width // s.heads
    inverse = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
    angles = torch.outer(torch.arange(s.tokens + s.past).float(), inverse)
    table = torch.cat((angles, angles), dim=-1)
    return table.cos(), table.sin()


INT64_MAX = 2**63 - 1


class SdpaCausal(torch.autograd.Function):
    """F.scaled_dot_product_attention(q, k, v, is_causal=True), which Debian's
    torch 1.13 lacks, computed in float as torch defines it and exported with
    the nodes torch >= 2.1 writes for it (torch/onnx/symbolic_opset14.py,
    opset 14 and later): the scale 1 / sqrt(d) from Shape -> Slice -> Cast ->
    Sqrt -> Div, applied as its square root to q and to the transposed k
    before their product; the mask built from the shapes (Concat -> Expand of
    1 -> Trilu -> Equal 0 -> Where(-inf, 0)) and added to the scores."""

    @staticmethod
    def forward(ctx, q, k, v):
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        return F.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1) @ v

    @staticmethod
    def symbolic(g, q, k, v):
        with warnings.catch_warnings():
            # torch 1.13 marks g.op deprecated in favour of its successor's GraphContext.
            warnings.simplefilter("ignore", FutureWarning)
            return SdpaCausal.nodes(g, q, k, v)

    @staticmethod
    def nodes(g, q, k, v):
        def ints(*values):
            return g.op("Constant", value_t=torch.tensor(values, dtype=torch.int64))

        def floats(value):
            return g.op("Constant", value_t=torch.tensor([value], dtype=torch.float))

        q_shape, k_shape = g.op("Shape", q), g.op("Shape", k)
        features = g.op("Cast", g.op("Slice", q_shape, ints(-1), ints(INT64_MAX)), to_i=1)
        scale = g.op("Div", floats(1.0), g.op("Sqrt", features))
        size = g.op("Concat", g.op("Slice", q_shape, ints(-2), ints(-1)),
                    g.op("Slice", k_shape, ints(-2), ints(-1)), axis_i=0)
        lower = g.op("Trilu", g.op("Expand", floats(1.0), size), upper_i=0)
        mask = g.op("Where", g.op("Equal", lower, floats(0.0)), floats(float("-inf")), floats(0.0))
        q_scaled = g.op("Mul", q, g.op("Sqrt", scale))
        k_scaled = g.op("Mul", g.op("Transpose", k, perm_i=[0, 1, 3, 2]), g.op("Sqrt", scale))
        scores = g.op("Add", g.op("MatMul", q_scaled, k_scaled), mask)
        return g.op("MatMul", g.op("Softmax", scores, axis_i=-1), v)


def repeat_kv(x, copies: int):
    """Hugging Face's repeat_kv: each of g heads [1, g, S, d] repeated
    `copies` times, [1, g copies, S, d]."""
    if copies == 1:
        return x
    b, groups, keys, d = x.shape
    return x[:, :, None, :, :].expand(b, groups, copies, keys, d).reshape(b, groups * copies, keys, d)


class Block(nn.Module):
    def __init__(self, s: DecoderShape):
        super().__init__()
        self.heads = s.heads
        self.key_heads = s.key_heads
        self.attention = s.attention
        self.cache = s.cache
        self.attention_norm = RMSNorm(s.width)
        self.qkv = nn.Linear(s.width, s.width + 2 * s.key_width, bias=False)
        self.wo = nn.Linear(s.width, s.width, bias=False)
        self.ffn_norm = RMSNorm(s.width)
        self.w1 = nn.Linear(s.width, s.hidden, bias=False)
        self.w3 = nn.Linear(s.width, s.hidden, bias=False)
        self.w2 = nn.Linear(s.hidden, s.width, bias=False)
        longest = s.tokens + s.past
        self.register_buffer("causal", torch.tril(torch.ones(longest, longest)).view(1, 1, longest, longest))
        cos, sin = rotary_tables(s)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def rotate(self, x, first: int):
        """Llama's apply_rotary_pos_emb on the heads' view [1, h, t, d] at positions first..."""
        t = x.shape[2]
        cos, sin = self.cos[first:first + t], self.sin[first:first + t]
        return x * cos + rotate_half(x) * sin

    def forward(self, x, past_k=None, past_v=None):
        b, t, c = x.shape
        d = c // self.heads
        past = 0 if past_k is None else past_k.shape[2 if self.cache == "heads" else 1]
        q, k, v = self.qkv(self.attention_norm(x)).split([c, self.key_heads * d, self.key_heads * d], dim=2)
        # The new tokens' q and k rotated to their positions: the cache holds rotated keys.
        qh = self.rotate(q.view(b, t, self.heads, d).transpose(1, 2), past)
        kh = self.rotate(k.view(b, t, self.key_heads, d).transpose(1, 2), past)
        vh = v.view(b, t, self.key_heads, d).transpose(1, 2)
        if self.cache == "heads":
            if past_k is not None:
                kh = torch.cat([past_k, kh], dim=2)
                vh = torch.cat([past_v, vh], dim=2)
            k, v = kh, vh
        else:
            k = kh.transpose(1, 2).reshape(b, t, self.key_heads * d)
            if past_k is not None:
                k = torch.cat([past_k, k], dim=1)
                v = torch.cat([past_v, v], dim=1)
            keys = k.shape[1]
            kh = k.view(b, keys, self.key_heads, d).transpose(1, 2)
            vh = v.view(b, keys, self.key_heads, d).transpose(1, 2)
        kh, vh = repeat_kv(kh, self.heads // self.key_heads), repeat_kv(vh, self.heads // self.key_heads)
        keys = kh.shape[2]
        if self.attention == "sdpa":
            attended = SdpaCausal.apply(qh, kh, vh)
        else:
            scores = (qh @ kh.transpose(-2, -1)) * (1.0 / math.sqrt(d))
            if t > 1:
                scores = scores.masked_fill(self.causal[:, :, :t, :keys] == 0, float("-inf"))
            attended = F.softmax(scores, dim=-1) @ vh
        context = attended.transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.wo(context)
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h)), k, v


class LlamaLike(nn.Module):
    """Prefill: forward(ids) -> logits. Decode step: forward(ids, past_k0,
    past_v0, ...) -> (logits, present_k0, present_v0, ...)."""

    def __init__(self, s: DecoderShape):
        super().__init__()
        self.shape = s
        self.tok_embeddings = nn.Embedding(s.vocabulary, s.width)
        self.blocks = nn.ModuleList(Block(s) for _ in range(s.layers))
        self.norm = RMSNorm(s.width)
        self.output = nn.Linear(s.width, s.vocabulary, bias=False)

    def forward(self, ids, *caches):
        x = self.tok_embeddings(ids)
        presents = []
        for i, block in enumerate(self.blocks):
            past = caches[2 * i: 2 * i + 2] if caches else (None, None)
            x, k, v = block(x, *past)
            presents += [k, v]
        logits = self.output(self.norm(x))
        return (logits, *presents) if caches else logits

    def input_names(self) -> List[str]:
        names = ["ids"]
        if self.shape.past:
            for i in range(self.shape.layers):
                names += [f"past_k{i}", f"past_v{i}"]
        return names

    def output_names(self) -> List[str]:
        names = ["logits"]
        if self.shape.past:
            for i in range(self.shape.layers):
                names += [f"present_k{i}", f"present_v{i}"]
        return names


def init_weights(model: LlamaLike, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 2:
                fan_in = p.shape[0] if "tok_embeddings" in name else p.shape[1]
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(fan_in))


def make_inputs(s: DecoderShape, seed: int) -> List[np.ndarray]:
    """The ids [1, T] (int64, inside the table) and, for a decode step, each
    layer's cached keys and values [1, P, C] or [1, h, P, d] (N(0, 1), the
    size the block's own keys have)."""
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(0, s.vocabulary, size=(1, s.tokens), dtype=np.int64)]
    cache = (1, s.key_heads, s.past, s.width // s.heads) if s.cache == "heads" else (1, s.past, s.key_width)
    for _ in range(2 * s.layers if s.past else 0):
        inputs.append(rng.standard_normal(cache).astype(np.float32))
    return inputs


def reference(model: LlamaLike, inputs: List[np.ndarray]) -> Tuple[List[np.ndarray], float]:
    """torch's outputs of a float64 copy (stored as float32), and the float32
    model's largest error relative to them (as workload_export.export.torch_output)."""
    def run(m, dtype):
        tensors = [torch.from_numpy(a) if a.dtype == np.int64 else torch.from_numpy(a).to(dtype) for a in inputs]
        with torch.no_grad():
            out = m(*tensors)
        return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]
    out64 = run(copy.deepcopy(model).double(), torch.float64)
    out32 = run(model, torch.float32)
    error = max(float(np.abs(a - b).max()) for a, b in zip(out32, out64))
    peak = max(float(np.abs(b).max()) for b in out64)
    return [o.astype(np.float32) for o in out64], error / peak


class HealthError(Exception):
    pass


def check_health(model: LlamaLike, s: DecoderShape, seed: int, name: str) -> Dict[str, float]:
    """Finite logits that depend on the ids: over 8 prompts the logits' spread
    across prompts must be a fair share of their spread across the vocabulary."""
    logits = []
    for i in range(8):
        out, _ = reference(model, make_inputs(s, seed + i))
        logits.append(out[0][0, -1].astype(np.float64))
    stack = np.stack(logits)
    if not np.isfinite(stack).all():
        raise HealthError(f"{name}: non-finite logits")
    ratio = float(stack.std(axis=0).mean() / max(stack.std(axis=1).mean(), 1e-30))
    if ratio < 0.1:
        raise HealthError(f"{name}: the logits barely depend on the ids (spread ratio {ratio:.3g})")
    return {"spread_ratio": ratio}


def linear_macs(s: DecoderShape) -> int:
    """The Linears' MACs of one run (the attention products are not counted,
    as workload_export.health.count_macs counts conv and FC MACs only)."""
    per_token = s.layers * ((s.width + 2 * s.key_width) * s.width + s.width * s.width + 3 * s.width * s.hidden)
    return s.tokens * (per_token + s.width * s.vocabulary)


def export_as_user(model: LlamaLike, inputs: List[np.ndarray], path: Path, opset: int) -> None:
    tensors = tuple(torch.from_numpy(a) for a in inputs)
    torch.onnx.export(model.eval(), tensors, str(path), opset_version=opset,
                      input_names=model.input_names(), output_names=model.output_names())
    onnx.checker.check_model(onnx.load(str(path)))


def input_file(index: int, name: str) -> str:
    """input.npy for the ids (the first input, as every battery folder has), then
    input_<name>.npy for a decode step's caches."""
    return "input.npy" if index == 0 else f"input_{name}.npy"


def write_folder(folder: Path, name: str, description: str, s: DecoderShape, opset: int, seed: int,
                 save_npy: Callable[[Path, np.ndarray], None], save_json: Callable[[Path, Dict[str, object]], None],
                 atomic_write: Callable[[Path, Callable[[Path], None]], None], meta_base: Dict[str, object]) -> None:
    """Build, check and export one decoder into its battery folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)
    torch.manual_seed(seed)
    model = LlamaLike(s).eval()
    init_weights(model, seed)
    inputs = make_inputs(s, seed + 1)
    health = check_health(model, s, seed + 2, name)
    outputs, float32_error = reference(model, inputs)
    atomic_write(folder / "model.onnx", lambda tmp: export_as_user(model, inputs, tmp, opset))
    for i, (input_name, array) in enumerate(zip(model.input_names(), inputs)):
        save_npy(folder / input_file(i, input_name), array)
    for i, output in enumerate(outputs):
        save_npy(folder / ("output.npy" if i == 0 else f"output_{i}.npy"), output)
    proto = onnx.load(str(folder / "model.onnx"))
    op_counts: Dict[str, int] = {}
    for node in proto.graph.node:
        op_counts[node.op_type] = op_counts.get(node.op_type, 0) + 1
    meta = dict(meta_base)
    meta.update({
        "name": name,
        "description": description,
        "opset": opset,
        "seed": seed,
        "input_names": model.input_names(),
        "input_files": [input_file(i, n) for i, n in enumerate(model.input_names())],
        "input_shape": list(inputs[0].shape),
        "output_shape": list(outputs[0].shape),
        "output_shapes": [list(o.shape) for o in outputs],
        "output_precision": "float64",
        "torch_float32_rel_error": float32_error,
        "decoder": dataclasses.asdict(s),
        "macs": {"conv": 0, "fc": linear_macs(s), "total": linear_macs(s)},
        "health": health,
        "onnx": {"op_counts": op_counts},
    })
    save_json(folder / "meta.json", meta)


# The battery's decoders: a prompt of 16 tokens through two blocks of width 64
# (4 heads of 16, SwiGLU of 172, a vocabulary of 512: a TinyStories-like Llama
# scaled down), a decode step of the same model with 15 cached tokens, a wider
# single-block prefill (width 128, 8 heads, 32 tokens), the first with
# torch's fused attention, the decode step with Hugging Face's cache layout, and
# both with grouped-query attention.
DECODERS: Dict[str, Tuple[DecoderShape, str]] = {
    "llama_prefill": (DecoderShape(512, 64, 4, 172, 2, 16, 0),
                      "Llama-like decoder (RMSNorm, causal attention with rotary embeddings, "
                      "SwiGLU), 2 blocks of 64, 4 heads, vocabulary 512: a 16-token prompt (prefill)"),
    "llama_decode": (DecoderShape(512, 64, 4, 172, 2, 1, 15),
                     "the same decoder's decode step: one token at position 15, each block's KV "
                     "cache of 15 tokens as graph inputs [1, 15, 64], the caches of 16 as outputs"),
    "llama_wide_prefill": (DecoderShape(1024, 128, 8, 344, 1, 32, 0),
                           "Llama-like decoder, 1 block of 128, 8 heads, vocabulary 1024: a "
                           "32-token prompt (prefill)"),
    "llama_sdpa_prefill": (DecoderShape(512, 64, 4, 172, 2, 16, 0, attention="sdpa"),
                           "llama_prefill with F.scaled_dot_product_attention(is_causal=True) as "
                           "torch >= 2.1 exports it (the mask built from the shapes, q and k each "
                           "scaled by sqrt(1 / sqrt(d)))"),
    "llama_hf_decode": (DecoderShape(512, 64, 4, 172, 2, 1, 15, cache="heads"),
                        "llama_decode with the KV cache in Hugging Face's layout: each block's "
                        "past keys and values [1, 4, 15, 16] as graph inputs, concatenated after "
                        "the heads split (dim 2), the present ones [1, 4, 16, 16] as outputs"),
    "llama_gqa_prefill": (DecoderShape(512, 64, 4, 172, 2, 16, 0, kv_heads=2),
                          "llama_prefill with grouped-query attention: 2 key and value heads, "
                          "each shared by 2 query heads (Hugging Face's repeat_kv)"),
    "llama_gqa_decode": (DecoderShape(512, 64, 4, 172, 2, 1, 15, cache="heads", kv_heads=2),
                         "llama_gqa_prefill's decode step with Hugging Face's cache layout: "
                         "each block's past keys and values [1, 2, 15, 16], repeated after the "
                         "Concat"),
}

# The opsets a decoder is exported at when not the families' (13, 17): torch writes
# scaled_dot_product_attention from opset 14 (Trilu); grouped-query attention is
# a Llama 2/3-era form, exported at the newest opset alone.
OPSETS: Dict[str, Tuple[int, ...]] = {"llama_sdpa_prefill": (14, 17), "llama_gqa_prefill": (17,),
                                      "llama_gqa_decode": (17,)}
