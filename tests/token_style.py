"""Test modules that move channels into tokens and back, written the way timm writes them.

timm's Attention (qkv Linear, reshape(B, N, 3, heads, d).permute(2, 0, 3, 1, 4), unbind(0), q @ k.transpose(-2, -1),
softmax, @ v, transpose(1, 2).reshape(B, N, C)), a ViT hybrid's conv stem flattened into tokens and the tokens
folded back into an image, MobileViT's unfold/fold (the batch folded into the first axis), and Expand of a live
tensor. Oracle for all of them: torch autograd (zoo_style.autograd_reach).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """timm.models.vision_transformer.Attention (fused=False: the explicit q @ k^T, softmax, @ v)."""

    def __init__(self, dim: int, heads: int = 2, fused: bool = False):
        super().__init__()
        self.heads, self.fused = heads, fused
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused:
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = attn.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    """A pre-norm transformer block: LayerNorm, attention, LayerNorm, MLP with GELU, both residual."""

    def __init__(self, dim: int, heads: int = 2, fused: bool = False):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, fused)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Hybrid(nn.Module):
    """A ViT hybrid: a grouped conv stem, its feature map flattened into tokens with a class token and position
    embedding, transformer blocks, the tokens folded back into an image, and a grouped conv head."""

    def __init__(self, C: int = 16, G: int = 4, hw: int = 4, fused: bool = False):
        super().__init__()
        self.hw = hw
        self.stem = nn.Conv2d(C, C, 3, padding=1, groups=G)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, C))
        self.pos = nn.Parameter(torch.zeros(1, hw * hw + 1, C))
        self.block = Block(C, fused=fused)
        self.head = nn.Conv2d(C, C, 1, groups=G)

    def forward(self, x):
        x = self.stem(x)
        B, C, H, W = x.shape
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1) + self.pos
        x = self.block(x)[:, 1:]
        return self.head(x.transpose(1, 2).reshape(B, C, H, W))


class TokenRoundTrip(nn.Module):
    """Channels into tokens and back with nothing that mixes channels between: each token's channels are kept apart,
    so the two grouped convs keep theirs apart too (a tracer that gave up here would say they mix)."""

    def __init__(self, C: int = 16, G: int = 4, shuffle: bool = False):
        super().__init__()
        self.G, self.shuffle = G, shuffle
        self.a = nn.Conv2d(C, C, 1, groups=G)
        self.b = nn.Conv2d(C, C, 3, padding=1, groups=G)

    def forward(self, x):
        x = self.a(x)
        B, C, H, W = x.shape
        t = F.gelu(x.flatten(2).transpose(1, 2))  # (B, HW, C)
        if self.shuffle:  # a channel shuffle written on tokens: (B, HW, G, C/G) → (B, HW, C/G, G)
            t = t.reshape(B, H * W, self.G, C // self.G).transpose(2, 3).reshape(B, H * W, C)
        return self.b(t.transpose(1, 2).reshape(B, C, H, W))


class MobileViTStyle(nn.Module):
    """timm's MobileVitBlock: a local grouped conv, 1×1 into the transformer's width, unfold into patches (the batch
    folded into the first axis), transformer blocks, fold back, 1×1 out, concat with the input, fuse conv."""

    def __init__(self, C: int = 8, dim: int = 12, G: int = 2, patch: int = 2, transformer: bool = True):
        super().__init__()
        self.patch = patch
        self.conv_kxk = nn.Conv2d(C, C, 3, padding=1, groups=G)
        self.conv_1x1 = nn.Conv2d(C, dim, 1, bias=False)
        self.transformer = Block(dim) if transformer else nn.Identity()
        self.conv_proj = nn.Conv2d(dim, C, 1, groups=G)
        self.conv_fusion = nn.Conv2d(2 * C, C, 3, padding=1, groups=G)

    def forward(self, x):
        shortcut = x
        x = self.conv_1x1(self.conv_kxk(x))
        ph = pw = self.patch
        B, C, H, W = x.shape
        nh, nw = math.ceil(H / ph), math.ceil(W / pw)
        P, N = ph * pw, nh * nw
        x = x.reshape(B * C * nh, ph, nw, pw).transpose(1, 2)  # unfold, as timm writes it
        x = x.reshape(B, C, N, P).transpose(1, 3).reshape(B * P, N, -1)
        x = self.transformer(x)
        x = x.contiguous().view(B, P, N, -1)  # fold
        x = x.transpose(1, 3).reshape(B * C * nh, nw, ph, pw)
        x = x.transpose(1, 2).reshape(B, C, nh * ph, nw * pw)
        return self.conv_fusion(torch.cat((shortcut, self.conv_proj(x)), dim=1))


class ExpandLive(nn.Module):
    """Expand of a live tensor: one channel broadcast to all (a gate), and a squeeze's mean expanded back."""

    def __init__(self, C: int = 8, G: int = 4):
        super().__init__()
        self.a = nn.Conv2d(C, C, 1, groups=G)
        self.b = nn.Conv2d(C, C, 1, groups=G)

    def forward(self, x):
        x = self.a(x)
        gate = x[:, :1].expand(-1, x.shape[1], -1, -1)
        mean = x.mean((2, 3), keepdim=True).expand_as(x)
        return self.b(x * gate + mean)


class TorchEncoder(nn.Module):
    """torch's own nn.TransformerEncoderLayer (nn.MultiheadAttention inside) between a grouped conv stem, flattened
    into tokens, and a grouped conv head: the attention as torch writes it, not as a zoo does."""

    def __init__(self, C: int = 16, G: int = 4, heads: int = 2):
        super().__init__()
        self.stem = nn.Conv2d(C, C, 3, padding=1, groups=G)
        self.encoder = nn.TransformerEncoderLayer(C, heads, dim_feedforward=2 * C, dropout=0.0, batch_first=True)
        self.head = nn.Conv2d(C, C, 1, groups=G)

    def forward(self, x):
        x = self.stem(x)
        B, C, H, W = x.shape
        t = self.encoder(x.flatten(2).transpose(1, 2))
        return self.head(t.transpose(1, 2).reshape(B, C, H, W))


class TopKChannels(nn.Module):
    """The k largest channels at each position (TopK): which channels it keeps depends on the data, so a tracer
    that reads only the graph cannot decide it."""

    def __init__(self, C: int = 8, G: int = 4):
        super().__init__()
        self.a = nn.Conv2d(C, C, 1, groups=G)
        self.b = nn.Conv2d(C // 2, C // 2, 1, groups=2)

    def forward(self, x):
        return self.b(self.a(x).topk(x.shape[1] // 2, dim=1).values)
