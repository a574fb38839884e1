"""`manage.py rundramatiq` sizes the OCR worker by OCR_GPU_CONCURRENCY."""

from django_dramatiq.management.commands import rundramatiq as upstream

from filot.management.commands.rundramatiq import worker_size


def test_an_ocr_only_worker_runs_one_single_threaded_process_per_concurrent_card(settings, monkeypatch):
    monkeypatch.delenv("DRAMATIQ_NPROCS", raising=False)
    monkeypatch.delenv("DRAMATIQ_NTHREADS", raising=False)
    settings.OCR_GPU_CONCURRENCY = 2
    assert worker_size(["ocr-gpu"], None, None) == (2, 1)


def test_other_workers_and_explicit_sizes_keep_their_defaults(settings, monkeypatch):
    settings.OCR_GPU_CONCURRENCY = 2
    assert worker_size(["default"], None, None) == (upstream.NPROCS, upstream.NTHREADS)
    assert worker_size(None, None, None) == (upstream.NPROCS, upstream.NTHREADS)
    assert worker_size(["ocr-gpu"], 3, 4) == (3, 4)
    monkeypatch.setenv("DRAMATIQ_NPROCS", "5")
    assert worker_size(["ocr-gpu"], None, None) == (upstream.NPROCS, 1)
