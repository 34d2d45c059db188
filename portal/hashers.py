"""Password hashing: Argon2id at the OWASP Password Storage Cheat Sheet's first configuration."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class ClinicArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with m=46 MiB, t=1, p=1 (OWASP's first listed setting). Memory-hard, so guessing
    on GPUs gains little, and about 70 ms of one core per sign-in where PBKDF2 at Django's
    1,000,000 iterations takes about 400 ms: on a 2-core server, sign-ins no longer queue the
    pages behind them. Stored hashes carry their own parameters, so changing these upgrades
    each account at its next sign-in (Django's must_update)."""

    time_cost = 1
    memory_cost = 47104  # KiB
    parallelism = 1
