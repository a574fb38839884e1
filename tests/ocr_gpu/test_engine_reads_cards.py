"""The engine end to end on the project's own synthetic cards. No Django here."""

import cv2
import numpy as np
import pytest

from cardgen.cards import card_photo
from ocr_gpu.engine import CardReading, EngineConfig, EngineConfigError, read_card
from ocr_gpu.engine.locate import MIN_SHARPNESS

pytestmark = pytest.mark.slow


def _share_right(card, reading: CardReading) -> float:
    right = sum(reading.fields.get(key) == value for key, value in card.fields.items())
    return right / len(card.fields)


def _jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


@pytest.fixture(scope="module")
def clean_ktp():
    return card_photo("KTP", "clean", seed=11)


@pytest.fixture(scope="module")
def clean_npwp():
    return card_photo("NPWP", "clean", seed=12)


def test_it_reads_the_fields_of_a_clean_ktp(clean_ktp) -> None:
    card, photo = clean_ktp
    reading = read_card(photo)
    assert reading.doc_type == "KTP"
    assert reading.error is None
    assert reading.fields["nik"] == card.fields["nik"]
    assert _share_right(card, reading) >= 0.9


def test_it_reads_the_fields_of_a_clean_npwp(clean_npwp) -> None:
    card, photo = clean_npwp
    reading = read_card(photo)
    assert reading.doc_type == "NPWP"
    assert reading.fields["npwp"] == card.fields["npwp"]
    assert _share_right(card, reading) >= 0.8


def test_it_reads_an_upside_down_ktp(clean_ktp) -> None:
    card, photo = clean_ktp
    upside_down = cv2.rotate(cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR), cv2.ROTATE_180)
    reading = read_card(_jpeg(upside_down))
    assert reading.upside_down
    assert reading.fields.get("nik") == card.fields["nik"]
    assert _share_right(card, reading) >= 0.85


def test_it_reads_a_rotated_card_photographed_on_a_desk() -> None:
    card, photo = card_photo("KTP", "photo", seed=5)
    reading = read_card(photo)
    assert reading.doc_type == "KTP"
    assert _share_right(card, reading) >= 0.85


def test_it_reports_its_stages_and_quality_in_the_contract_shape(clean_npwp) -> None:
    contract = read_card(clean_npwp[1]).to_contract()
    assert list(contract) == [
        "doc_type",
        "fields",
        "confidence",
        "quality",
        "timings_ms",
        "gpu_processed",
        "error",
    ]
    assert {"detect", "recognize", "total"} <= set(contract["timings_ms"])
    assert {"sharpness", "brightness", "glare", "card_width_px"} <= set(contract["quality"])
    assert set(contract["confidence"]) == set(contract["fields"])


def test_it_calls_a_blank_image_unknown() -> None:
    reading = read_card(_jpeg(np.full((600, 900, 3), 235, np.uint8)))
    assert reading.doc_type == "UNKNOWN"
    assert "blank" in reading.error


def test_it_calls_a_picture_without_card_text_unknown() -> None:
    rng = np.random.default_rng(3)
    picture = np.full((600, 900, 3), 90, np.uint8)
    for _ in range(25):
        center = tuple(int(v) for v in rng.integers(0, 600, 2))
        cv2.circle(
            picture, center, int(rng.integers(10, 90)), tuple(int(v) for v in rng.integers(0, 255, 3)), -1
        )
    reading = read_card(_jpeg(picture))
    assert reading.doc_type == "UNKNOWN"
    assert reading.error


def test_it_calls_a_tiny_image_unknown(clean_ktp) -> None:
    image = cv2.imdecode(np.frombuffer(clean_ktp[1], np.uint8), cv2.IMREAD_COLOR)
    reading = read_card(_jpeg(cv2.resize(image, (160, 100), interpolation=cv2.INTER_AREA)))
    assert reading.doc_type == "UNKNOWN"
    assert "too small" in reading.error


def test_it_calls_an_extremely_blurred_card_unknown(clean_ktp) -> None:
    image = cv2.imdecode(np.frombuffer(clean_ktp[1], np.uint8), cv2.IMREAD_COLOR)
    reading = read_card(_jpeg(cv2.GaussianBlur(image, (0, 0), 8)))
    assert reading.doc_type == "UNKNOWN"
    assert "blurred" in reading.error


def test_a_card_in_deep_shadow_measuring_under_the_sharpness_floor_is_read_not_refused(clean_ktp) -> None:
    # Dim print has little Laplacian variance however legible it is: the floor only names
    # a card that reads as no card.
    card, jpeg = clean_ktp
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).astype(np.float32)
    dim = cv2.GaussianBlur(image * 0.25 + 40, (0, 0), 1.5)
    reading = read_card(_jpeg(np.clip(dim, 0, 255).astype(np.uint8)))
    assert reading.quality["sharpness"] < MIN_SHARPNESS
    assert reading.doc_type == "KTP"
    assert reading.fields["nik"] == card.fields["nik"]


def test_it_calls_bytes_that_are_no_image_unknown() -> None:
    reading = read_card(b"%PDF-1.4 not an image")
    assert reading.doc_type == "UNKNOWN"
    assert reading.error == "not a decodable image"


def test_a_gpu_request_without_cuda_runs_on_the_cpu_and_says_so(clean_npwp) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has CUDA")
    reading = read_card(clean_npwp[1], config=EngineConfig(gpu_enabled=True, autofallback=True))
    assert reading.gpu_processed is False
    assert reading.providers == ["CPUExecutionProvider"]
    assert reading.doc_type == "NPWP"


def test_a_gpu_requirement_without_cuda_is_a_clear_error(clean_npwp) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has CUDA")
    with pytest.raises(EngineConfigError, match="OCR_GPU_AUTOFALLBACK is false"):
        read_card(clean_npwp[1], config=EngineConfig(gpu_enabled=True, autofallback=False))
