"""System checks of kyc, registered in `kyc.apps.KycConfig.ready`.

Django runs them at `manage.py check`, before `migrate` (the deploy's one-off task, so a
broken revision stops the deploy before the services update), at `runserver`/`serve`
and at a worker's `rundramatiq`.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error
from django.db import DEFAULT_DB_ALIAS, connections

DUMMY_ENGINE = "django.db.backends.dummy"


def check_compiled_reads(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Compile every `kyc.selectors.CompiledRead`, so a queryset that cannot be compiled
    fails at start-up, naming the read, instead of at its first request."""
    if app_configs is not None and not any(config.name == "kyc" for config in app_configs):
        return []
    if connections[DEFAULT_DB_ALIAS].settings_dict["ENGINE"] == DUMMY_ENGINE:
        return []  # a process without a database (the OCR workers) runs no reads
    from kyc.selectors import CompiledRead  # importing the module defines its reads

    errors: list[CheckMessage] = []
    for read in CompiledRead.every():
        try:
            read.prepare()
        except Exception as error:  # whatever stops the compilation stops the start
            errors.append(
                Error(
                    f"The compiled read {read.name} cannot be compiled: {type(error).__name__}: {error}",
                    hint="Its queryset (the function given to CompiledRead) must build and compile "
                    "with one UUID for each parameter name, and use every one of them.",
                    id="kyc.E001",
                )
            )
    return errors
