"""Where the engine's data lives: the detection model and Tesseract's language files.

Nothing is downloaded: the PP-OCRv4 DBNet detection model ships inside the
`rapidocr-onnxruntime` wheel (installed without its dependencies) and the language
data comes from Debian's `tesseract-ocr-ind` / `tesseract-ocr-eng` packages.
"""

import importlib.util
import os
from pathlib import Path

DETECTION_MODEL_FILE = "ch_PP-OCRv4_det_infer.onnx"
_IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# Input normalisation (mean, std) of the DBNet models we know, by file name; others get ImageNet's.
# PP-OCRv6 det (in the rapidocr 3.10 wheel) was trained on (x - 0.5) / 0.5 inputs.
_NORMALISATION = {DETECTION_MODEL_FILE: _IMAGENET, "PP-OCRv6_det_small.onnx": ((0.5,) * 3, (0.5,) * 3)}
LANGUAGES = ("ind", "eng")
_TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)


class EngineAssetError(RuntimeError):
    """A model or language file the engine needs is not installed."""


def detection_model_path(override: str | os.PathLike | None = None) -> Path:
    if override:
        path = Path(override)
    else:
        # find_spec locates the package without importing it (its __init__ pulls OpenCV).
        spec = importlib.util.find_spec("rapidocr_onnxruntime")
        if spec is None or not spec.submodule_search_locations:
            raise EngineAssetError(
                "rapidocr-onnxruntime is not installed: it carries the detection model "
                "(pip install --no-deps rapidocr-onnxruntime==1.4.4)"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "models" / DETECTION_MODEL_FILE
    if not path.is_file() or path.stat().st_size == 0:
        raise EngineAssetError(f"detection model not found at {path}")
    return path


SECOND_MODEL_FILE = "PP-OCRv6_rec_small.onnx"


def second_model_path() -> Path:
    """PP-OCRv6 rec from the rapidocr 3.10 wheel (installed without its dependencies)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise EngineAssetError(
            "rapidocr is not installed: it carries PP-OCRv6 rec (pip install --no-deps rapidocr==3.10.0)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / SECOND_MODEL_FILE
    if not path.is_file() or path.stat().st_size == 0:
        raise EngineAssetError(f"second recognizer model not found at {path}")
    return path


THIRD_MODEL_FILE = "ch_PP-OCRv4_rec_infer.onnx"


def third_model_path() -> Path:
    """PP-OCRv4 rec, carried beside the detection model by rapidocr-onnxruntime."""
    return detection_model_path().with_name(THIRD_MODEL_FILE)


def detection_normalisation(model: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return _NORMALISATION.get(model.name, _IMAGENET)


def tessdata_dir() -> Path:
    """The folder holding ind.traineddata and eng.traineddata."""
    candidates = [os.environ["TESSDATA_PREFIX"]] if os.environ.get("TESSDATA_PREFIX") else []
    for candidate in [*candidates, *_TESSDATA_CANDIDATES]:
        folder = Path(candidate)
        if all((folder / f"{lang}.traineddata").is_file() for lang in LANGUAGES):
            return folder
    raise EngineAssetError(
        "Tesseract language data for ind+eng not found (apt-get install tesseract-ocr tesseract-ocr-ind)"
    )
