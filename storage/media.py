"""Photos: fetched through the channel's API into our own storage, with their metadata removed.

EXIF can carry GPS coordinates and the phone's make and serial: for a tip that is the sender's identity.
The picture is decoded and written again from its pixels alone (after applying the EXIF rotation, so it
still shows the right way up)."""
from __future__ import annotations

import hashlib
import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


class MediaError(ValueError):
    pass


@dataclass(frozen=True)
class StoredPhoto:
    path: str  # relative to the instance folder
    sha256: str


def strip_metadata(data: bytes) -> bytes:
    if len(data) > MAX_BYTES:
        raise MediaError("照片太大（超过 10 MB）")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise MediaError("照片尺寸过大")
            upright = ImageOps.exif_transpose(img)
            clean = Image.new(upright.mode if upright.mode in ("RGB", "L") else "RGB", upright.size)
            clean.paste(upright.convert(clean.mode))
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError("无法识别的图片") from exc
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=88)  # no exif=, no icc_profile=: nothing but pixels
    return out.getvalue()


def store_clean(instance: Path, folder: str, data: bytes) -> StoredPhoto:
    clean = strip_metadata(data)
    name = f"{folder}/{secrets.token_hex(16)}.jpg"  # random: the file name says nothing either
    path = instance / "media" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(clean)
    return StoredPhoto(f"media/{name}", hashlib.sha256(clean).hexdigest())


def keep_photo(instance: Path, folder: str, ref: dict[str, Any], fetch: Callable[[str], bytes] | None) -> dict[str, Any]:
    """A photo reference as the ledger keeps it: {"path", "sha256"} once in our store. A reference still holding
    only a media id is fetched with `fetch` (the channel's download); when that fails it stays as it was, with
    the reason, to be tried again later."""
    if ref.get("path") or not ref.get("media_id") or fetch is None:
        return ref
    try:
        stored = store_clean(instance, folder, fetch(str(ref["media_id"])))
    except Exception as exc:  # the channel's API or the image itself: the record stands without the picture
        log.warning("a hazard photo could not be kept: %s", type(exc).__name__)
        return {**ref, "error": type(exc).__name__}
    return {"path": stored.path, "sha256": stored.sha256}


def photo_file(instance: Path, ref: dict[str, Any]) -> Path | None:
    """The stored file of a kept photo, never outside the instance's media folder."""
    rel = str(ref.get("path") or "")
    if not rel.startswith("media/") or ".." in rel.split("/"):
        return None
    path = (instance / rel).resolve()
    media = (instance / "media").resolve()
    return path if media in path.parents and path.is_file() else None
