"""Makes tests/data/phone_photo_gps.jpg: a photo as a phone would send it, where it was taken written inside.

A 1280x960 JPEG (a sky-to-ground gradient, a sun, a house) carrying what a phone writes: GPS position,
make and model, the time taken, orientation 1. The browser journey uploads it, and tests check that none of
that reaches the circle. Run `.venv/bin/python -m tests.data.make_phone_photo` to make it again.
"""

from __future__ import annotations

from pathlib import Path

from PIL import ExifTags, Image, ImageDraw

PATH = Path(__file__).with_name("phone_photo_gps.jpg")
SIZE = (1280, 960)


def phone_photo_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    exif[ExifTags.Base.Software] = "17.4.1"
    exif[ExifTags.Base.DateTime] = "2026:06:02 14:31:07"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (40.0, 44.0, 54.36),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (73.0, 59.0, 8.5),
    }
    return exif


def phone_photo() -> Image.Image:
    width, height = SIZE
    sky = Image.linear_gradient("L").resize(SIZE)
    image = Image.merge(
        "RGB", (sky.point(lambda v: 90 + v // 3), sky.point(lambda v: 140 + v // 4), sky.point(lambda v: 235 - v // 3))
    )
    draw = ImageDraw.Draw(image)

    def at(*points: float) -> list[float]:  # drawn on a 16 x 12 grid, whatever SIZE is
        return [value * (width / 16 if i % 2 == 0 else height / 12) for i, value in enumerate(points)]

    draw.rectangle(at(0, 8, 16, 12), fill=(86, 140, 70))
    draw.ellipse(at(12, 1.2, 14.2, 3.4), fill=(250, 214, 90))
    draw.rectangle(at(4.2, 5.2, 9, 8.6), fill=(200, 120, 90), outline=(60, 40, 30), width=6)
    draw.polygon(at(3.8, 5.4, 6.6, 3, 9.4, 5.4), fill=(120, 60, 50))
    draw.rectangle(at(6.1, 7, 7, 8.6), fill=(80, 50, 40))
    for x in range(0, 16 * 4):  # a fence: some edges, so the file is not trivially small
        draw.rectangle(at(x / 4, 9, x / 4 + 0.14, 10.1), fill=(235, 230, 215))
    return image


def main() -> None:
    phone_photo().save(PATH, "JPEG", quality=70, exif=phone_photo_exif())
    print(f"{PATH}: {PATH.stat().st_size} bytes")


if __name__ == "__main__":
    main()
