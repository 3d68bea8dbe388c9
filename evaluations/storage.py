"""Where uploaded outcome files are kept: private storage, never under a public URL.

Raw uploads can hold unpublished (and small, identifying) counts, so they live outside
``MEDIA_ROOT`` in ``PRIVATE_MEDIA_ROOT``; nothing serves that folder, and asking the storage
for a URL is an error rather than a link that would work for anyone.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """File storage that has no URLs."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a view.")


def private_upload_storage() -> PrivateFileSystemStorage:
    return PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)
