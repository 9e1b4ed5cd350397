"""What a timing may be asked for, in one place: the names the app's controls, the CLI's choices and the harness
share, and the rules on them (no torch here, so the CLI's parser and the page's controls load without it)."""
from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda", "mps")  # auto: cuda, then mps, then cpu
DTYPES = ("fp32", "fp16", "bf16")  # what the harness can time (a device may support fewer)
LAYOUTS = ("nchw", "channels_last")  # memory formats
DIRECTIONS = ("forward", "forward+backward")
RUN_TIMES = (0.05, 0.1, 0.2, 0.5, 1.0)  # seconds of judged blocks per case the app offers
RUNS = ("layer", "groups", "batch")  # one layer's cases, every valid G, batch sizes (labels: timing.run.* in assets)
SWEEPS = RUNS[1:]  # the CLI's --sweep
EXPERIMENTS = ("shufflenet-g2", "shufflenet-g1")  # ShuffleNet V2's guideline experiments (gconv.timing.replicate)
BACKWARD_WORK = 3  # forward + backward does about 3× the forward's FLOPs and bytes (grads of input and weights)


def graphed(cuda_graph: bool, device: str) -> bool:
    """Whether a run replays a CUDA graph: only when asked, and only on a CUDA device."""
    return bool(cuda_graph) and device == "cuda"


def is_backward(direction: str) -> bool:
    """True for the direction that times forward + backward."""
    return direction == DIRECTIONS[1]


def work_scale(backward: bool) -> int:
    """How many forwards' worth of FLOPs, bytes and memory a timed call does."""
    return BACKWARD_WORK if backward else 1


def varies_groups(experiment: str) -> bool:
    """G2 (Table 2) varies the groups at equal FLOPs; G1 (Table 1) varies the ratio of two widths at G=1."""
    return experiment == "shufflenet-g2"
