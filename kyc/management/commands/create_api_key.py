"""`manage.py create_api_key --name NAME`: issue an API key and print it, once."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kyc.integrations.api_keys import create_api_key


class Command(BaseCommand):
    help = "Issue an API key for a client's server. The key is printed once and stored only as a hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Who the key is for, e.g. the client's name.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            api_key, key = create_api_key(name=str(options["name"]))
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"API key {api_key.name!r} (prefix {api_key.prefix}). Store it now: it is shown once."
        )
        self.stdout.write(key)
