"""Photos on updates (services/updates/photos.py): what a phone sends goes in, only pixels come out.

Every image here is made with Pillow in the test: a phone JPEG with GPS, camera tags, a comment and XMP
turned on its side (orientation 6), a PNG with transparency, a HEIC made with pillow-heif, and the things
to refuse (a GIF, a text file named .jpg, a truncated JPEG, a file over the limit, a 64-megapixel bomb, five
photos at once). The stored files are read back from disk the way a browser would get them.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms
from werkzeug.datastructures import FileStorage

from config import BASE_DIR, ConfigError, load_config
from coordinator import create_app
from coordinator.errors import Invalid, NotFound
from coordinator.services.updates import photos
from coordinator.services.updates.photos import (
    PreparedPhoto,
    circle_photos_delete,
    photo_path,
    photo_store,
    photos_delete,
    photos_prepare,
)
from tests.databases import app_config
from tests.test_config import PRODUCTION

RED, BLUE, GREEN, WHITE = (255, 0, 0), (0, 0, 255), (0, 160, 0), (255, 255, 255)
PHONE_PHOTO = Path(__file__).parent / "data" / "phone_photo_gps.jpg"


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def app(photo_dir):
    """Photos touch no database: one app on an empty in-memory SQLite, its PHOTO_DIR in this test's folder."""
    app = create_app(app_config("sqlite://", PHOTO_DIR=str(photo_dir)))
    with app.app_context():
        yield app


# --- making what a phone sends ------------------------------------------------------------------------------------


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15 Pro"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2026:06:02 14:31:07"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (40.0, 44.0, 54.36),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (73.0, 59.0, 8.5),
    }
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Brooklyn"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def halves(size: tuple[int, int], left=RED, right=BLUE, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def phone_jpeg(size=(40, 20), orientation: int = 6) -> bytes:
    """Left half red, right half blue, stored sideways as a phone does, with everything a phone writes."""
    out = io.BytesIO()
    halves(size).save(
        out, "JPEG", quality=95, exif=camera_exif(orientation), comment=b"Maria at home", xmp=XMP, icc_profile=srgb()
    )
    return out.getvalue()


def srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encoded(image: Image.Image, kind: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_2041.JPG") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refusals(uploads) -> list[str]:
    with pytest.raises(Invalid) as caught:
        photos_prepare(uploads)
    assert {problem.field for problem in caught.value.problems} == {"photos"}
    return [problem.message for problem in caught.value.problems]


def near(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def stored_files(prepared: PreparedPhoto, circle_id: int = 1) -> dict[str, bytes]:
    stored = photo_store(prepared, circle_id=circle_id)
    return {
        size: photo_path(circle_id=circle_id, token=stored.token, size=size).read_bytes() for size in ("phone", "full")
    }


# --- nothing but pixels comes out ----------------------------------------------------------------------------------


def test_gps_camera_and_every_other_tag_are_gone_from_both_stored_files(app):
    sent = phone_jpeg()
    original = opened(sent)
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (40.0, 44.0, 54.36)
    assert original.getexif()[ExifTags.Base.Model] == "iPhone 15 Pro"
    assert {"exif", "xmp", "comment", "icc_profile"} <= set(original.info)  # the test photo really carries them

    for size, data in stored_files(photos_prepare([upload(sent)])[0]).items():
        image = opened(data)
        assert image.format == "JPEG" and image.mode == "RGB", size
        assert dict(image.getexif()) == {}, size
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}, size
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info), (size, sorted(image.info))
        for trace in (b"Exif", b"Apple", b"iPhone", b"Brooklyn", b"xmpmeta", b"Maria", b"2026:06:02"):
            assert trace not in data, (size, trace)


def test_the_phone_photo_in_the_test_data_carries_gps_and_comes_out_without(app):
    sent = PHONE_PHOTO.read_bytes()
    assert 30_000 < len(sent) < 60_000
    assert opened(sent).getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    prepared = photos_prepare([upload(sent, "IMG_0412.jpg")])[0]
    assert (prepared.width, prepared.height) == (1280, 960)
    for data in (prepared.phone, prepared.full):
        assert dict(opened(data).getexif()) == {} and b"iPhone" not in data and b"Exif" not in data


def test_orientation_6_turns_a_40x20_photo_upright_as_20x40(app):
    prepared = photos_prepare([upload(phone_jpeg(size=(40, 20), orientation=6))])[0]
    assert (prepared.width, prepared.height) == (20, 40)
    for data in (prepared.phone, prepared.full):
        image = opened(data)
        assert image.size == (20, 40)
        # Orientation 6 means "turn a quarter clockwise to view": the stored left (red) is the top.
        assert near(image.getpixel((10, 5)), RED) and near(image.getpixel((10, 34)), BLUE)


def test_a_photo_without_orientation_keeps_its_shape(app):
    prepared = photos_prepare([upload(phone_jpeg(size=(40, 20), orientation=1))])[0]
    assert (prepared.width, prepared.height) == (40, 20)
    assert near(opened(prepared.full).getpixel((5, 10)), RED)


def test_png_transparency_becomes_white_not_black(app):
    png = encoded(halves((30, 30), left=(0, 0, 0, 0), right=(*GREEN, 255), mode="RGBA"), "PNG")
    full = opened(photos_prepare([upload(png, "screenshot.png")])[0].full)
    assert near(full.getpixel((5, 15)), WHITE) and near(full.getpixel((25, 15)), GREEN)


def test_a_palette_png_with_a_transparent_colour_becomes_white(app):
    image = halves((30, 30), left=RED, right=BLUE).convert("P")
    red_index = image.getpixel((0, 0))
    full = opened(photos_prepare([upload(encoded(image, "PNG", transparency=red_index), "icon.png")])[0].full)
    assert near(full.getpixel((5, 15)), WHITE) and near(full.getpixel((25, 15)), BLUE)


def test_an_iphone_heic_is_read_turned_upright_and_its_tags_dropped(app):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    heic = encoded(halves((40, 20)), "HEIF", exif=camera_exif(6).tobytes(), quality=90)
    assert heic[4:12] == b"ftypheic"
    prepared = photos_prepare([upload(heic, "IMG_2041.HEIC")])[0]
    assert (prepared.width, prepared.height) == (20, 40)
    for data in (prepared.phone, prepared.full):
        image = opened(data)
        assert image.format == "JPEG" and dict(image.getexif()) == {} and b"Apple" not in data
        assert near(image.getpixel((10, 5)), RED) and near(image.getpixel((10, 34)), BLUE)


def test_a_phones_two_frame_jpeg_keeps_the_photo_not_its_hidden_second_frame(app):
    mpo = encoded(halves((40, 20)), "MPO", save_all=True, append_images=[Image.new("RGB", (40, 20), GREEN)])
    assert opened(mpo).format == "MPO" and opened(mpo).n_frames == 2
    full = opened(photos_prepare([upload(mpo, "IMG_2042.JPG")])[0].full)
    assert full.format == "JPEG" and getattr(full, "n_frames", 1) == 1
    assert near(full.getpixel((5, 10)), RED) and near(full.getpixel((35, 10)), BLUE)


def test_a_jpeg_named_heic_is_taken_for_what_it_is(app):
    assert len(photos_prepare([upload(phone_jpeg(), "IMG_2041.HEIC")])) == 1


def test_a_cmyk_jpeg_and_16_bit_grey_png_come_out_as_rgb(app):
    cmyk = encoded(Image.new("CMYK", (20, 20), (0, 0, 0, 0)), "JPEG")  # no ink: white paper
    grey = encoded(Image.new("I;16", (20, 20), 65535), "PNG")  # 16-bit white
    for prepared in photos_prepare([upload(cmyk, "scan.jpg"), upload(grey, "xray.png")]):
        assert near(opened(prepared.full).getpixel((10, 10)), WHITE)


# Pillow warns about EXIF it can't parse; the suite makes warnings errors, a running service does not.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_keeps_the_photo(app):
    broken = encoded(halves((40, 20)), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    prepared = photos_prepare([upload(broken)])[0]
    assert (prepared.width, prepared.height) == (40, 20) and dict(opened(prepared.full).getexif()) == {}


# --- sizes ---------------------------------------------------------------------------------------------------------


def test_a_big_photo_is_capped_at_2560_full_and_1080_on_phones_progressive(app):
    big = encoded(Image.linear_gradient("L").resize((4000, 2000)).convert("RGB"), "JPEG")
    prepared = photos_prepare([upload(big)])[0]
    full, phone = opened(prepared.full), opened(prepared.phone)
    assert full.size == (2560, 1280) and phone.size == (1080, 540)
    assert (prepared.width, prepared.height) == (2560, 1280)
    assert full.info.get("progressive") and phone.info.get("progressive")
    assert len(prepared.phone) < len(prepared.full)


def test_a_small_photo_is_never_made_larger(app):
    prepared = photos_prepare([upload(encoded(halves((800, 600)), "JPEG"))])[0]
    assert opened(prepared.full).size == (800, 600) == opened(prepared.phone).size


def test_a_tall_photo_is_capped_by_its_height(app):
    prepared = photos_prepare([upload(encoded(halves((1500, 3000)), "PNG"), "long.png")])[0]
    assert opened(prepared.full).size == (1280, 2560) and opened(prepared.phone).size == (540, 1080)


# --- refusals, in words a tired person understands -----------------------------------------------------------------


def test_a_gif_and_a_text_file_named_jpg_are_refused_together_each_by_name(app):
    gif = encoded(halves((20, 20)), "GIF")
    text = b"Maria's appointments: Tuesday 9am\n" * 20
    messages = refusals([upload(gif, "party.gif"), upload(text, "notes.jpg"), upload(phone_jpeg(), "fine.jpg")])
    assert messages == [
        "party.gif isn't a JPEG, PNG or HEIC photo. Please choose a photo.",
        "notes.jpg isn't a JPEG, PNG or HEIC photo. Please choose a photo.",
    ]


def test_other_image_kinds_are_refused(app):
    for kind, name in (("BMP", "a.bmp"), ("WEBP", "b.webp"), ("TIFF", "c.tif")):
        assert refusals([upload(encoded(halves((20, 20)), kind), name)]) == [
            f"{name} isn't a JPEG, PNG or HEIC photo. Please choose a photo."
        ]


def test_a_truncated_jpeg_is_a_photo_we_cannot_read(app):
    whole = encoded(Image.effect_noise((300, 300), 60).convert("RGB"), "JPEG", quality=90)
    assert refusals([upload(whole[: len(whole) // 2], "photo.jpg")]) == [
        "photo.jpg isn't a photo we can read. It may be damaged: please try another."
    ]


def test_a_png_with_a_broken_body_is_a_photo_we_cannot_read(app):
    png = bytearray(encoded(Image.effect_noise((100, 100), 60).convert("RGB"), "PNG"))
    png[200:260] = b"\x00" * 60
    assert refusals([upload(bytes(png), "photo.png")]) == [
        "photo.png isn't a photo we can read. It may be damaged: please try another."
    ]


class Endless(io.RawIOBase):
    """A stream that would go on forever, counting what was read of it; starts like a JPEG.

    It fails (rather than fill the memory) once read far past what the code should ever read."""

    def __init__(self, fail_after: int):
        self.read_bytes = 0
        self.fail_after = fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.read_bytes > self.fail_after:
            raise AssertionError(f"read {self.read_bytes} bytes of a file over the limit, and still reading")
        start = b"\xff\xd8\xff" if self.read_bytes == 0 else b""
        buffer[:] = (start + bytes(len(buffer)))[: len(buffer)]
        self.read_bytes += len(buffer)
        return len(buffer)


def test_a_file_over_the_limit_is_refused_reading_no_more_than_the_limit_and_one(photo_dir):
    with create_app(app_config("sqlite://", PHOTO_MAX_BYTES=1024 * 1024, PHOTO_DIR=str(photo_dir))).app_context():
        stream = Endless(fail_after=4 * 1024 * 1024)
        assert refusals([FileStorage(stream, filename="IMG_2041.HEIC")]) == [
            "IMG_2041.HEIC is larger than 1 MB. Please send a smaller copy."
        ]
        assert stream.read_bytes <= 1024 * 1024 + 1 + io.DEFAULT_BUFFER_SIZE


def test_the_default_limit_is_12_mb(app):
    assert app.config["PHOTO_MAX_BYTES"] == 12 * 1024 * 1024
    twelve_and_a_bit = b"\xff\xd8\xff" + bytes(12 * 1024 * 1024)
    assert refusals([upload(twelve_and_a_bit, "IMG_2041.HEIC")]) == [
        "IMG_2041.HEIC is larger than 12 MB. Please send a smaller copy."
    ]


class Untouchable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer):
        raise AssertionError("read a photo although there were too many")


def test_five_photos_are_refused_before_any_is_read(app):
    five = [FileStorage(Untouchable(), filename=f"IMG_{n}.JPG") for n in range(5)]
    assert refusals(five) == ["Up to 4 photos per update."]


def test_four_photos_are_fine_and_empty_file_fields_are_skipped(app):
    nothing_chosen = FileStorage(io.BytesIO(b""), filename="")
    four = [upload(phone_jpeg(), f"IMG_{n}.JPG") for n in range(4)]
    assert len(photos_prepare([nothing_chosen, *four, nothing_chosen])) == 4
    assert photos_prepare([nothing_chosen]) == []


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that says it is width x height, with almost nothing in it (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def test_more_than_50_megapixels_is_refused_before_decoding(app):
    bomb = encoded(Image.new("1", (8000, 8000)), "PNG")  # 64 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    huge = png_header_only(20_000, 20_000)  # 400 megapixels: Pillow's own bomb check stops this one
    expected = "{} has too many pixels for us to show (more than 50 megapixels). Please send a smaller copy."
    assert refusals([upload(bomb, "bomb.png"), upload(huge, "huge.png")]) == [
        expected.format("bomb.png"),
        expected.format("huge.png"),
    ]


def test_a_file_name_in_a_message_is_only_its_name(app):
    gif = encoded(halves((20, 20)), "GIF")
    assert refusals([upload(gif, "C:\\Users\\maria\\Pictures\\party.gif")])[0].startswith("party.gif isn't")
    assert refusals([upload(gif, "../../etc/x\x07.gif")])[0].startswith("x.gif isn't")


# --- files on disk -------------------------------------------------------------------------------------------------


def test_preparing_writes_nothing_storing_writes_two_files_and_deleting_removes_them(app, photo_dir):
    prepared = photos_prepare([upload(phone_jpeg(), "IMG_2041.JPG")])[0]
    assert not photo_dir.exists()

    stored = photo_store(prepared, circle_id=3)
    assert (stored.width, stored.height) == (prepared.width, prepared.height)
    folder = photo_dir / "3"
    assert sorted(path.name for path in folder.iterdir()) == [f"{stored.token}-full.jpg", f"{stored.token}-phone.jpg"]
    assert photo_path(circle_id=3, token=stored.token, size="full").read_bytes() == prepared.full
    assert photo_path(circle_id=3, token=stored.token, size="phone").read_bytes() == prepared.phone
    assert "IMG" not in stored.token and len(stored.token) == 24

    assert photos_delete(circle_id=3, tokens=[stored.token]) == 2
    assert list(folder.iterdir()) == []
    assert photos_delete(circle_id=3, tokens=[stored.token, "no-such-photo-at-all-xyz"]) == 0  # already gone: quiet


def test_each_photo_gets_its_own_token(app):
    prepared = photos_prepare([upload(phone_jpeg())])[0]
    tokens = {photo_store(prepared, circle_id=1).token for _ in range(5)}
    assert len(tokens) == 5


def test_a_circles_photos_go_with_it_and_no_others(app, photo_dir):
    prepared = photos_prepare([upload(phone_jpeg())])[0]
    photo_store(prepared, circle_id=4)
    photo_store(prepared, circle_id=4)
    kept = photo_store(prepared, circle_id=5)
    assert circle_photos_delete(4) == 4
    assert not (photo_dir / "4").exists()
    assert photo_path(circle_id=5, token=kept.token, size="full").exists()
    assert circle_photos_delete(4) == 0  # nothing left: quiet


def test_a_failed_second_write_leaves_no_file_behind(app, photo_dir, monkeypatch):
    prepared = photos_prepare([upload(phone_jpeg())])[0]
    calls = []
    real_replace = os.replace

    def replace_then_fail(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(photos.os, "replace", replace_then_fail)
    with pytest.raises(OSError):
        photo_store(prepared, circle_id=6)
    assert list((photo_dir / "6").iterdir()) == []  # neither the first copy nor a temporary file


@pytest.mark.parametrize(
    "token",
    [
        "../../../../etc/passwd",
        "..",
        "",
        "a/b",
        "abc",
        "x" * 23 + "/",
        "x" * 23 + ".",
        "x" * 25,
        "%2e%2e%2f" + "x" * 15,
        "x" * 23 + "\x00",
        None,
    ],
)
def test_path_traversal_and_odd_tokens_are_not_found(app, token):
    with pytest.raises(NotFound):
        photo_path(circle_id=1, token=token, size="full")


def test_only_the_two_sizes_exist(app):
    token = "A" * 24
    assert photo_path(circle_id=2, token=token, size="phone").name == f"{token}-phone.jpg"
    for size in ("thumb", "../full", "", "FULL"):
        with pytest.raises(NotFound):
            photo_path(circle_id=2, token=token, size=size)


# --- settings and start-up -----------------------------------------------------------------------------------------


def test_production_refuses_a_photo_dir_it_could_not_use(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for value, words in (
        ("photos", "PHOTO_DIR must be an absolute path"),
        (str(blocker / "photos"), "PHOTO_DIR must be a folder"),
    ):
        with pytest.raises(ConfigError, match=words):
            load_config({**PRODUCTION, "PHOTO_DIR": value})
    usable = tmp_path / "not-yet" / "photos"  # made at the first photo, under a folder it may write
    assert load_config({**PRODUCTION, "PHOTO_DIR": str(usable)}).PHOTO_DIR == str(usable)
    assert not usable.exists()


def test_the_heic_opener_is_registered_at_the_first_photo_not_at_import():
    script = (
        "import coordinator.services.updates.photos, coordinator\n"
        "from PIL import Image\n"
        "Image.init()\n"
        "assert 'HEIF' not in Image.OPEN, 'registered at import'\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, check=True, timeout=60)
