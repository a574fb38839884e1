"""Create a reviewer account (or update one) for production: `create_reviewer EMAIL [--can-reveal]`.

The password is asked twice on a terminal, or read from one line of standard input with
`--password-stdin` (for a secrets pipe); it is never an argument (shell history, process
list) and never printed. `--can-reveal` grants the audited full-NIK reveal; leaving it
out takes a grant back, so the command states the access the person should have.
"""

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews.services import register_reviewer


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = "Create or update a reviewer (staff, Reviewers group); --can-reveal allows the audited NIK reveal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--can-reveal", action="store_true", help="May reveal a full NIK (each reveal audited)."
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options["password_stdin"], options.get("stdin") or sys.stdin)
        try:
            user, created = register_reviewer(
                email=options["email"], password=password, can_reveal=options["can_reveal"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        verb = "Created" if created else "Updated"
        reveal = "may reveal full NIKs (audited)" if options["can_reveal"] else "may not reveal full NIKs"
        self.stdout.write(f"{verb} reviewer {user.email}: Reviewers group, {reveal}.")

    def _password(self, from_stdin: bool, stdin: Any) -> str:
        if from_stdin:
            password = stdin.readline().rstrip("\n")
        elif stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ.")
        else:
            raise CommandError("No terminal to ask the password on: pass --password-stdin and pipe it in.")
        if not password:
            raise CommandError("The password is empty.")
        return password
