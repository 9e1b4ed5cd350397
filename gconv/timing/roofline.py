"""Roofline: peak compute and bandwidth (measured here, or from a datasheet) and the bound they put on a kernel."""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import say

# Datasheet peaks, dense (no sparsity). NVIDIA H100 SXM5 and H200 datasheets: FP32 67, TF32 495 (dense),
# BF16/FP16 989 (dense) TFLOP/s; HBM3 3.35 TB/s (H100 SXM), HBM3e 4.8 TB/s (H200).
DATASHEETS = {
    "H200": {"fp32": 67e12, "tf32": 495e12, "bf16": 989e12, "fp16": 989e12, "bandwidth": 4.8e12},
    "H100": {"fp32": 67e12, "tf32": 495e12, "bf16": 989e12, "fp16": 989e12, "bandwidth": 3.35e12},
}


@dataclass(frozen=True)
class Peaks:
    """Peak FLOP/s for the dtype in use and peak bytes/s, with where the numbers come from."""

    flops: float  # FLOP/s
    bandwidth: float  # bytes/s
    source: object  # a Said: "measured: ..." or "datasheet: ..."

    @property
    def ridge(self) -> float:
        """Arithmetic intensity (FLOP/byte) where the memory roof meets the compute roof."""
        return self.flops / self.bandwidth


def attainable(intensity: float, peaks: Peaks) -> float:
    """The roofline bound in FLOP/s at an arithmetic intensity: min(peak FLOP/s, intensity · peak bytes/s).

    >>> attainable(1.0, Peaks(flops=100.0, bandwidth=10.0, source="x")), attainable(50.0, Peaks(100.0, 10.0, "x"))
    (10.0, 100.0)
    """
    return min(peaks.flops, intensity * peaks.bandwidth)


def datasheet(device_name: str, dtype: str, tf32: bool = False) -> Peaks | None:
    """Datasheet peaks for a known GPU name (H100, H200), for dtype; None for other devices."""
    for key, sheet in DATASHEETS.items():
        if key in device_name.upper():
            name = "tf32" if dtype == "fp32" and tf32 else dtype
            if name not in sheet:
                return None
            return Peaks(sheet[name], sheet["bandwidth"], say("peaks.datasheet", gpu=key, dtype=name.upper()))
    return None
