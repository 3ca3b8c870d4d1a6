"""The photo rows of the README's Configuration table, each shown changing what a person or a host would notice
(tests/test_settings_rows.py runs these with the other rows' checks; the photos themselves: tests/test_update_photos.py).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from config import INSTANCE_DIR
from coordinator.errors import Invalid
from coordinator.services.updates.photos import photo_path, photo_store, photos_prepare


def _from_env(**env: str) -> dict:
    from tests.test_settings_rows import from_env

    return from_env(**env)


def _noisy_jpeg() -> bytes:
    """About 30 KB: random pixels do not compress."""
    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def check_photo_dir(make_app, tmp_path, **_):
    chosen = tmp_path / "elsewhere"
    with make_app(**_from_env(PHOTO_DIR=str(chosen))).app_context():
        prepared = photos_prepare([FileStorage(io.BytesIO(_noisy_jpeg()), filename="garden.jpg")])
        stored = photo_store(prepared[0], circle_id=7)
    assert sorted(path.name for path in (chosen / "7").iterdir()) == sorted(
        f"{stored.token}-{size}.jpg" for size in ("full", "phone")
    )
    with make_app().app_context():  # the default: instance/photos beside the database
        assert photo_path(circle_id=7, token=stored.token, size="full").parent == INSTANCE_DIR / "photos" / "7"


def check_photo_max_bytes(make_app, **_):
    photo = _noisy_jpeg()
    with make_app().app_context():
        assert len(photos_prepare([FileStorage(io.BytesIO(photo), filename="garden.jpg")])) == 1  # 12 MB allowed
    with make_app(**_from_env(PHOTO_MAX_BYTES="10000")).app_context():
        with pytest.raises(Invalid, match="garden.jpg is larger than"):
            photos_prepare([FileStorage(io.BytesIO(photo), filename="garden.jpg")])


PHOTO_ROWS = {"PHOTO_DIR": check_photo_dir, "PHOTO_MAX_BYTES": check_photo_max_bytes}
