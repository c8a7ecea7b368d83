"""Create the ticket documents bucket: `python -m crowdify_tools.object_storage`.

Run by the setup (tools/bin/ensure-infra) after the local S3-compatible server starts; safe to
run again at any time.
"""

from __future__ import annotations

from crowdify.storage import ObjectStorageSettings, ensure_bucket


def main() -> None:
    settings = ObjectStorageSettings()
    created = ensure_bucket(settings)
    print(f"bucket {settings.bucket} {'created' if created else 'present'} at {settings.endpoint}")


if __name__ == "__main__":
    main()
