"""Writes the TorchScript fixtures of tests/clip/test_clip_load.cpp:

- tiny_fp16_jit.pt: a TorchScript archive laid out like OpenAI's released CLIP *.pt files (the
  module tree of openai/CLIP clip/model.py, so named_parameters() gives the OpenAI key names;
  float16 weights), but tiny and random, with widths that are multiples of 64 so that
  build_model's config inference (heads = width / 64, mlp 4x, QuickGELU) applies.
- tiny_fp16_jit.json: the architecture build_model infers from it (flat config layout).
- tiny_fp16_expected.json: inputs and outputs of encode_text / encode_image computed here in
  float32 from the float16 weights (what clip.load(..., device="cpu") does: model.float()),
  with the forward pass of clip/model.py written against torch.nn.MultiheadAttention.

Run with torch 1.13: /usr/bin/python3 make_tiny_fp16_jit.py. The weights are seeded; the zip
container itself is not byte-reproducible.
"""
import copy
import json
from collections import OrderedDict

import torch
from torch import nn

torch.manual_seed(20240611)

EMBED, RES, PATCH, VW, VL, TW, TL, CTX, VOCAB = 32, 16, 8, 128, 1, 64, 2, 12, 300


class LayerNorm(nn.LayerNorm):
    def forward(self, x):  # clip/model.py: LayerNorm in float32
        return super().forward(x.float()).type(x.dtype)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_1 = LayerNorm(d)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(d, 4 * d)), ("gelu", QuickGELU()),
                                              ("c_proj", nn.Linear(4 * d, d))]))
        self.ln_2 = LayerNorm(d)
        self.attn_mask = attn_mask

    def forward(self, x):
        m = self.attn_mask
        x = x + self.attn(self.ln_1(x), self.ln_1(x), self.ln_1(x), need_weights=False, attn_mask=m)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, d, layers, heads, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(d, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, VW, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(VW))
        self.positional_embedding = nn.Parameter(torch.randn((RES // PATCH) ** 2 + 1, VW))
        self.ln_pre = LayerNorm(VW)
        self.transformer = Transformer(VW, VL, VW // 64)
        self.ln_post = LayerNorm(VW)
        self.proj = nn.Parameter(torch.randn(VW, EMBED))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = VisionTransformer()
        mask = torch.empty(CTX, CTX).fill_(float("-inf")).triu_(1)
        self.transformer = Transformer(TW, TL, TW // 64, mask)
        self.token_embedding = nn.Embedding(VOCAB, TW)
        self.positional_embedding = nn.Parameter(torch.randn(CTX, TW))
        self.ln_final = LayerNorm(TW)
        self.text_projection = nn.Parameter(torch.randn(TW, EMBED))
        self.logit_scale = nn.Parameter(torch.tensor(4.6052))

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, x):
        return x


m = CLIP()
with torch.no_grad():
    for name, p in m.named_parameters():
        if name.endswith("logit_scale"):
            continue
        is_ln_w = ".ln_" in "." + name and name.endswith("weight")
        p.copy_((1.0 if is_ln_w else 0.0) + (0.1 if is_ln_w else 0.05) * torch.randn_like(p))
m = m.half()

ref = copy.deepcopy(m).float()
ref.transformer.resblocks[0].attn_mask = ref.transformer.resblocks[1].attn_mask = \
    torch.empty(CTX, CTX).fill_(float("-inf")).triu_(1)
tokens = torch.tensor([[49 % VOCAB, 7, 8, 9, 299, 0, 0, 0, 0, 0, 0, 0],
                       [49 % VOCAB, 17, 250, 3, 4, 5, 6, 299, 0, 0, 0, 0]])
pixels = torch.randn(2, 3, RES, RES)
with torch.no_grad():
    text_features = ref.encode_text(tokens)
    image_features = ref.visual(pixels)

# Traced (forward is the identity): only the parameters matter to the loader.
torch.jit.save(torch.jit.trace(m, torch.zeros(1)), "tiny_fp16_jit.pt")
cfg = {"embed_dim": EMBED, "image_resolution": RES, "vision_layers": VL, "vision_width": VW,
       "vision_heads": VW // 64, "vision_patch_size": PATCH, "vision_mlp_width": 4 * VW,
       "context_length": CTX, "vocab_size": VOCAB, "transformer_width": TW,
       "transformer_heads": TW // 64, "transformer_layers": TL, "text_mlp_width": 4 * TW,
       "act": "quick_gelu", "layer_norm_eps": 1e-5}
with open("tiny_fp16_jit.json", "w") as f:
    json.dump(cfg, f, indent=1)
with open("tiny_fp16_expected.json", "w") as f:
    json.dump({"tokens": tokens.tolist(), "text_features": text_features.tolist(),
               "pixel_values": pixels.tolist(), "image_features": image_features.tolist()}, f)
