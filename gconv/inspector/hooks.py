"""Inspect a torch model as it runs: forward hooks on a dummy input record every Conv2d and Linear.

Totals: params as torch counts them (numel of every parameter: weights, biases, BatchNorm, PReLU), MACs of
the conv and linear layers only (one per multiply-add, padding products included; pooling, normalisation and
activations not counted).
"""
from __future__ import annotations

import threading
from math import prod
from contextlib import contextmanager

import torch
import torch.nn as nn

from ..errors import GConvError
from ..i18n import say
from ..spec import as_pair
from ..text import outside
from .report import Layer, Report, conv_layer, linear_layer


def _padding(m: nn.Conv2d) -> tuple[int, int]:
    """The conv's padding per axis; a padding='same' that splits unevenly (even dilated kernel) is unknown (-1)."""
    if not isinstance(m.padding, str):
        return as_pair(tuple(m.padding))
    if m.padding == "valid":
        return (0, 0)
    totals = [d * (k - 1) for k, d in zip(as_pair(tuple(m.kernel_size)), as_pair(tuple(m.dilation)))]
    return tuple(t // 2 if t % 2 == 0 else -1 for t in totals)


def _conv_row(name: str, m: nn.Conv2d, x: torch.Tensor, y: torch.Tensor) -> Layer:
    return conv_layer(name, m.in_channels, m.out_channels, m.groups, as_pair(tuple(m.kernel_size)),
                      as_pair(tuple(m.stride)), _padding(m), as_pair(tuple(m.dilation)), _ints(x.shape[-2:]),
                      _ints(y.shape[-2:]), m.bias is not None)


def _ints(sizes) -> tuple[int, ...]:
    """Sizes as ints: under the exporter's tracer a size can be a 0-d tensor that records where it came from."""
    return tuple(int(d) for d in sizes)


def _linear_row(name: str, m: nn.Linear, x: torch.Tensor) -> Layer:
    shape = _ints(x.shape)
    rows = prod(shape) // shape[-1] // shape[0]  # positions per sample (1 for a flat input)
    return linear_layer(name, m.in_features, m.out_features, rows, m.bias is not None)


@torch.no_grad()
def inspect_model(model: nn.Module, input_size: tuple[int, int], name: str = "model", channels: int = 3) -> Report:
    """Run model on one zero image of input_size and record every Conv2d and Linear as it runs.

    >>> r = inspect_model(nn.Sequential(nn.Conv2d(3, 8, 3, groups=1), nn.Flatten(), nn.Linear(8 * 4 * 4, 2)), (6, 6))
    >>> [layer.kind.value for layer in r.layers], r.total_macs == 8 * 27 * 16 + 256
    (['standard', 'linear'], True)
    """
    return inspect_inputs(model, (torch.zeros(1, channels, *input_size),), name)


@contextmanager
def _recorded(model: nn.Module):
    """Every Conv2d and Linear of model, recorded as a Layer while the block runs the model (in eval mode)."""
    rows: list[Layer] = []
    names = {m: n for n, m in model.named_modules()}

    def hook(m, inputs, output):
        x = inputs[0]
        if isinstance(m, nn.Conv2d):
            rows.append(_conv_row(names[m], m, x, output))
        elif isinstance(m, nn.Linear):
            rows.append(_linear_row(names[m], m, x))

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        yield rows
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


def _report(model: nn.Module, inputs: tuple, name: str, rows: list[Layer]) -> Report:
    size = tuple(inputs[0].shape[2:4]) if inputs and inputs[0].dim() >= 4 else (1, 1)
    return Report(name, size, rows, sum(p.numel() for p in model.parameters()), sum(r.macs for r in rows))


def inspect_inputs(model: nn.Module, inputs: tuple, name: str = "model") -> Report:
    """Run model on inputs (a tuple of tensors; the first one's H×W is the report's input size) and record every
    Conv2d and Linear as it runs; a forward that fails is a GConvError that says so."""
    with _recorded(model) as rows:
        try:
            with torch.no_grad():
                model(*inputs)
        except (RuntimeError, TypeError, ValueError, IndexError) as e:  # the model's own forward refused the input
            raise GConvError(say("err.forward", why=outside(str(e).splitlines()[0] if str(e) else type(e).__name__,
                                                            300), shapes=", ".join(str(tuple(x.shape)) for x in inputs))) from None
    return _report(model, inputs, name, rows)


def inspect_and_export(model: nn.Module, inputs: tuple, name: str = "model") -> tuple[Report, bytes | GConvError]:
    """inspect_inputs and onnx_export in one forward pass: the hooks record the layers while the exporter traces
    the model (the forward is most of either's time). When the export fails, the layers come from a forward of
    their own (which says so if the forward itself is what fails), with the export's GConvError."""
    with _recorded(model) as rows:
        try:
            data = onnx_export(model, inputs)
        except GConvError as e:
            data = e
    if isinstance(data, GConvError):
        return inspect_inputs(model, inputs, name), data
    return _report(model, inputs, name, rows), data


_EXPORT_LOCK = threading.Lock()  # the exporter keeps its state in module globals: one export at a time


def onnx_export(model: nn.Module, inputs: tuple) -> bytes:
    """The model exported to ONNX in memory on these inputs, without its parameters (each one a graph input after
    the model's own, with its dims: read_graph(data, inputs=len(inputs))), so no weight is copied whatever the
    model's size; an export that fails is a GConvError saying so."""
    import io
    import warnings

    buf = io.BytesIO()
    try:
        with _EXPORT_LOCK, warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, inputs, buf, dynamo=False, export_params=False, do_constant_folding=False)
    except (RuntimeError, TypeError, ValueError, torch.onnx.errors.OnnxExporterError) as e:
        raise GConvError(say("err.export", why=outside(str(e).splitlines()[0] if str(e) else type(e).__name__,
                                                       300))) from None
    return buf.getvalue()


def model_flow(model: nn.Module, input_size: tuple[int, int], channels: int = 3):
    """The channel flow of a torch model, traced through its graph; rows are named and numbered as inspect_model's
    layers (gconv.summary's flow: one pipeline)."""
    from .summary import summary

    result = summary(model, input_size=(1, channels, *input_size))
    if result.flow_error is not None:
        raise result.flow_error
    return result.flow


def inspect_zoo(name: str) -> Report:
    """inspect_model of a zoo network at its default input size."""
    from . import zoo

    return inspect_model(zoo.build(name), zoo.INPUT_SIZES[name], name)
