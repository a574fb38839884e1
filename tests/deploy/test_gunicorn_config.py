"""deploy/gunicorn.conf.py's hooks, called as gunicorn calls them (no server started)."""

import gc
import runpy
from types import SimpleNamespace

from tests.deploy.conftest import ROOT


def _config() -> dict:
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_the_shipped_config_preloads_and_freezes_the_application_before_each_fork():
    config = _config()
    assert config["preload_app"] is True
    gc.unfreeze()
    try:
        config["pre_fork"](SimpleNamespace(cfg=SimpleNamespace(preload_app=True)), None)
        # Everything the master holds left the collector's generations: a worker's full
        # collection walks only what the worker made.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
    config["pre_fork"](SimpleNamespace(cfg=SimpleNamespace(preload_app=False)), None)
    assert gc.get_freeze_count() == 0  # a master that imported nothing has nothing to freeze
