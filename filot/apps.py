from django.apps import AppConfig


class FilotConfig(AppConfig):
    name = "filot"
    verbose_name = "FiLot platform"
