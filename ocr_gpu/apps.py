from django.apps import AppConfig


class OcrGpuConfig(AppConfig):
    name = "ocr_gpu"
    verbose_name = "OCR (GPU workers)"

    def ready(self) -> None:
        from filot.health import register_check
        from ocr_gpu.health import check_ocr_engine

        register_check("ocr_engine", check_ocr_engine)
