from django.apps import AppConfig


class FilotConfig(AppConfig):
    name = "filot"
    verbose_name = "FiLot platform"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from filot.metrics import record_transition

        # By label: filot imports no app's models (DESIGN.md).
        post_save.connect(
            record_transition, sender="kyc.DocumentTransition", dispatch_uid="filot-transitions"
        )
