"""How the engine runs, passed in by the caller (the engine never reads Django settings)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineConfig:
    gpu_enabled: bool = False
    # With autofallback off, a GPU request that cannot be met is an error, not a slow CPU run.
    autofallback: bool = True
    model_path: str | None = None
    # ONNX Runtime intra-op threads; one process per core scales better than threads here.
    threads: int = 1
    detect_long_side: int = 640
    # Read low-confidence key-field lines again with the ONNX recognizer (PP-OCRv6 rec).
    second_opinion: bool = False


class EngineConfigError(RuntimeError):
    """The engine cannot run as configured (for example, GPU required but unavailable)."""
