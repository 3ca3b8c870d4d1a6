"""Photos on updates: every upload re-encoded by Pillow, nothing of the original kept.

A photo from a phone carries where it was taken (GPS), the phone's make and
model, times, comments and sometimes a thumbnail of what was cropped out. None of
that may reach the circle, so the original bytes are never stored: each upload
is decoded (JPEG, PNG or HEIC/HEIF, told apart by content, never by name), turned
upright from its EXIF orientation, flattened onto white, converted to sRGB and
drawn into a fresh image with no metadata at all, then written as two JPEGs: a
phone-sized copy and a full one (never larger than the original).

Preparing (CPU, in memory) is apart from storing (disk), so a caller can prepare
before the database write, store inside it, and remove the files again if the
transaction fails. Files are named by a random token and kept one folder per
circle under PHOTO_DIR, so a circle's purge removes one folder.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from PIL import Image, ImageCms, ImageOps

from coordinator.errors import Invalid, NotFound, Problems

log = logging.getLogger(__name__)

PHOTOS_PER_UPDATE = 4
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; anything larger is refused before it is decoded
SIZES = {"phone": 1080, "full": 2560}  # the longest side of each copy
JPEG_OPTIONS = {"quality": 82, "progressive": True, "optimize": True}
FIELD = "photos"
TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")  # secrets.token_urlsafe(18), and nothing a path could be made of
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
OPENERS = ("JPEG", "PNG", "HEIF")  # JPEG opens MPO too (the JPEG many phones write: a photo plus a preview)
WHITE = (255, 255, 255)


class Upload(Protocol):
    """What a form's file field gives (werkzeug's FileStorage is one)."""

    filename: str | None
    stream: IO[bytes]


@dataclass(frozen=True)
class PreparedPhoto:
    """One photo re-encoded and ready to store: two JPEGs with no metadata, and the full copy's size."""

    phone: bytes
    full: bytes
    width: int
    height: int


@dataclass(frozen=True)
class StoredPhoto:
    token: str
    width: int
    height: int


def photos_prepare(uploads: Sequence[Upload]) -> list[PreparedPhoto]:
    """Read and re-encode each photo; refuse (every bad file at once) anything that isn't a photo we take.

    File fields sent with no file chosen are skipped. Nothing is written to disk.
    """
    chosen = [upload for upload in uploads if upload.filename]
    if len(chosen) > PHOTOS_PER_UPDATE:
        raise Invalid(f"Up to {PHOTOS_PER_UPDATE} photos per update.", field=FIELD)
    max_bytes = int(current_app.config["PHOTO_MAX_BYTES"])
    prepared: list[PreparedPhoto] = []
    problems = Problems.collector()
    for upload in chosen:
        with problems.check():
            prepared.append(_prepare_one(upload, max_bytes=max_bytes))
    problems.raise_if_any()
    return prepared


def photo_store(prepared: PreparedPhoto, *, circle_id: int) -> StoredPhoto:
    """Write both copies under a new random token, each atomically; on failure neither is left behind."""
    folder = _circle_folder(circle_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = secrets.token_urlsafe(18)
    written: list[Path] = []
    try:
        for size, data in (("phone", prepared.phone), ("full", prepared.full)):
            path = folder / f"{token}-{size}.jpg"
            _write_atomically(path, data)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return StoredPhoto(token=token, width=prepared.width, height=prepared.height)


def photo_path(*, circle_id: int, token: str, size: str) -> Path:
    """Where one copy of a photo lives (whether or not it is there); NotFound for anything but a real token."""
    if size not in SIZES or not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise NotFound("No such photo.")
    return _circle_folder(circle_id) / f"{token}-{size}.jpg"


def photos_delete(*, circle_id: int, tokens: Iterable[str]) -> int:
    """Remove the photos' files, quietly passing over any already gone; how many files were removed."""
    removed = 0
    for token in tokens:
        for size in SIZES:
            try:
                path = photo_path(circle_id=circle_id, token=token, size=size)
            except NotFound:
                continue  # not a name this module ever wrote
            with contextlib.suppress(FileNotFoundError):  # removed already (a retry, or by hand): fine
                path.unlink()
                removed += 1
    return removed


def circle_photos_delete(circle_id: int) -> int:
    """Remove a circle's photo folder and everything in it (the circle's purge); how many files were removed."""
    folder = _circle_folder(circle_id)
    if not folder.is_dir():
        return 0
    count = sum(1 for entry in folder.iterdir() if entry.is_file())
    shutil.rmtree(folder)
    return count


# --- reading and re-encoding ------------------------------------------------------------------------------------


def _prepare_one(upload: Upload, *, max_bytes: int) -> PreparedPhoto:
    name = _shown_name(upload.filename)
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Invalid(f"{name} is larger than {_size_words(max_bytes)}. Please send a smaller copy.", field=FIELD)
    if not _looks_like_a_photo(data):
        raise Invalid(f"{name} isn't a JPEG, PNG or HEIC photo. Please choose a photo.", field=FIELD)
    image = _decoded(data, name=name)
    upright = _upright(image)
    clean = _fresh_rgb(upright)
    full = _within(clean, SIZES["full"])
    phone = _within(full, SIZES["phone"])
    return PreparedPhoto(phone=_jpeg(phone), full=_jpeg(full), width=full.width, height=full.height)


def _looks_like_a_photo(data: bytes) -> bool:
    """JPEG, PNG or HEIC/HEIF by their first bytes (the name a file was given says nothing)."""
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        return True
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def _decoded(data: bytes, *, name: str) -> Image.Image:
    """The whole image decoded, or a plain refusal: too many pixels (checked before decoding), or unreadable."""
    _pillow_ready()
    too_many = Invalid(
        f"{name} has too many pixels for us to show (more than {MAX_PIXELS // 1_000_000} megapixels). "
        "Please send a smaller copy.",
        field=FIELD,
    )
    unreadable = Invalid(f"{name} isn't a photo we can read. It may be damaged: please try another.", field=FIELD)
    try:
        image = Image.open(io.BytesIO(data), formats=OPENERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except Exception as error:  # any decoder's complaint about a stranger's bytes is "unreadable", never a 500
        log.info("photo refused: %s", type(error).__name__)
        raise unreadable from None
    if image.width * image.height > MAX_PIXELS:
        raise too_many
    image.draft(None, (SIZES["full"], SIZES["full"]))  # a huge JPEG decoded at 1/2, 1/4 or 1/8: still >= full size
    try:
        image.load()
    except Exception as error:  # a truncated or corrupt file fails here, after its header read fine
        log.info("photo refused while decoding: %s", type(error).__name__)
        raise unreadable from None
    return image


@functools.cache
def _pillow_ready() -> None:
    """Teach Pillow to open HEIC/HEIF (iPhones' photos), once, at the first photo rather than at import."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _upright(image: Image.Image) -> Image.Image:
    """Turned the way the camera was held (EXIF orientation); a photo with broken EXIF stays as it is."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception as error:  # unreadable EXIF: keep the pixels, which is all we keep anyway
        log.info("photo orientation unreadable: %s", type(error).__name__)
        return image


def _fresh_rgb(image: Image.Image) -> Image.Image:
    """sRGB pixels, transparency on white, copied into a new image that has no metadata at all."""
    icc = image.info.get("icc_profile")
    converted = _to_srgb(image, icc) if image.mode == "CMYK" and icc else None
    if converted is not None:
        rgb = converted
    elif image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, WHITE)
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        rgb = image.convert("I").point(lambda value: value / 256).convert("L").convert("RGB")  # 16-bit grey
    else:
        rgb = image.convert("RGB")
    if icc and converted is None:
        rgb = _to_srgb(rgb, icc) or rgb
    fresh = Image.new("RGB", rgb.size)
    fresh.paste(rgb)
    return fresh


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """The image converted from its own colour profile to sRGB, or None if that profile doesn't fit it."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _within(image: Image.Image, side: int) -> Image.Image:
    """A copy whose longest side is at most `side` (never made larger)."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", exif=b"", **JPEG_OPTIONS)
    return out.getvalue()


def _shown_name(filename: str | None) -> str:
    """The file's own name for a message: no folders, no control characters, not too long."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 60:
        name = name[:28] + "…" + name[-28:]
    return name or "That photo"


def _size_words(count: int) -> str:
    """12582912 -> "12 MB", 1572864 -> "1.5 MB", 10000 -> "10 KB"."""
    megabytes = count / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.0f} MB" if megabytes >= 10 or megabytes.is_integer() else f"{megabytes:.1f} MB"
    return f"{max(1, round(count / 1024))} KB"


# --- files --------------------------------------------------------------------------------------------------------


def _circle_folder(circle_id: int) -> Path:
    if isinstance(circle_id, bool) or not isinstance(circle_id, int) or circle_id < 1:
        raise ValueError("circle_id must be a circle's id")
    return Path(current_app.config["PHOTO_DIR"]) / str(circle_id)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside `path`, flush to disk, then rename over it: a reader sees the whole file or none."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
