"""The one error family: every mistake gconv reports to a user is a GConvError saying what would be valid.

Pages and the CLI catch this family only; any other exception is a bug and surfaces as one.

>>> issubclass(BudgetError, GConvError) and issubclass(GConvError, ValueError)
True
"""


class GConvError(ValueError):
    """Something a user asked for cannot be done; the message says what is wrong and what would be valid."""


class SpecError(GConvError):
    """A conv layer that torch.nn.Conv2d would reject, or whose output would be empty."""


class ONNXError(GConvError):
    """A file that is not a usable ONNX model; the message says why."""


class BudgetError(GConvError):
    """A run that would exceed the memory or time budget, refused before anything is allocated."""
