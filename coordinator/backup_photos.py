"""The photo files beside a database backup: one tar of PHOTO_DIR written safely, and brought back safely.

Photos on updates are files under PHOTO_DIR, not rows, so a database backup alone would return every update
without its photos. `flask backup` therefore also writes `<backup without its suffix>.photos.tar`: every
regular file under PHOTO_DIR, paths relative to it, uncompressed (they are JPEGs already). Photo files are
written atomically and never changed, only deleted, so copying them one by one is consistent enough: a file
deleted while the tar is written is simply left out. Symbolic links are never followed, and the half-written
`.<name>.part` files of an upload in progress (photos.py) are left out.

A tar is someone else's input when it comes back, so restoring refuses, before writing anything, a tar that
holds anything but plain files and folders at plain relative paths (no absolute paths, no `..`, no links,
no devices), and then also runs each member through tarfile's "data" filter. Files are written beside their
final name and renamed into place; one that is already there is kept (same token, same photo).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from coordinator.backups import BackupError

PHOTOS_SUFFIX = ".photos.tar"
FOLDER_MODE = 0o700  # as photos.py makes a circle's folder: the service's user only
FILE_MODE = 0o600


@dataclass(frozen=True)
class PhotosArchived:
    files: int
    size: int  # bytes of photo data (the tar adds its headers)


@dataclass(frozen=True)
class PhotosRestored:
    written: int
    kept: int  # already in PHOTO_DIR, left as they were


def photos_file_beside(backup: Path) -> Path:
    """coordinator-20261201T031500Z.pgdump -> coordinator-20261201T031500Z.photos.tar, in the same folder."""
    return backup.with_suffix(PHOTOS_SUFFIX)


def photos_archive(root: Path, target: Path) -> PhotosArchived:
    """Every regular file under `root` into an uncompressed tar at `target` (which the caller made, 0600)."""
    files = size = 0
    with open(target, "wb") as out:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, handle in _regular_files(root):
                with handle:
                    info = tar.gettarinfo(arcname=name, fileobj=handle)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    tar.addfile(info, handle)
                files += 1
                size += info.size
        out.flush()
        os.fsync(out.fileno())
    return PhotosArchived(files=files, size=size)


def _regular_files(root: Path):
    """(path relative to root, open file) for each regular file, walking without following any symlink."""
    if not root.is_dir():
        return
    for folder, _folders, names, folder_fd in os.fwalk(root, follow_symlinks=False, onerror=_unless_gone):
        relative = PurePosixPath(Path(folder).relative_to(root).as_posix())
        for name in sorted(names):
            if name.startswith(".") and name.endswith(".part"):
                continue  # an upload still being written, or one that never finished (swept later)
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except FileNotFoundError:
                continue  # deleted since the folder was listed
            except OSError as error:
                if error.errno == errno.ELOOP:
                    continue  # a symbolic link: never followed
                raise
            handle = os.fdopen(fd, "rb")
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                handle.close()
                continue
            yield str(relative / name), handle


def _unless_gone(error: OSError) -> None:
    """A folder that can't be read stops the backup (no silent gaps); one removed meanwhile (a purge) is skipped."""
    if not isinstance(error, FileNotFoundError):
        raise error


def photos_check(archive: Path, root: Path) -> int:
    """Refuse a photos tar that holds anything but plain files and folders under `root`; its number of files."""
    with _open(archive) as tar:
        return sum(member.isreg() for member in _vetted(tar, archive, root))


def photos_restore(archive: Path, root: Path) -> PhotosRestored:
    """Every file of `archive` into `root` (made if missing), keeping any file already there."""
    written = kept = 0
    with _open(archive) as tar:
        members = _vetted(tar, archive, root)  # all of them, before anything is written
        root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        for member in members:
            target = root / member.name
            if member.isdir():
                _make_folders(root, PurePosixPath(member.name))
            elif os.path.lexists(target):
                kept += 1
            else:
                _make_folders(root, PurePosixPath(member.name).parent)
                _write_file(tar, member, target)
                written += 1
    return PhotosRestored(written=written, kept=kept)


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{archive} is not a photos file this command wrote (not a plain tar: {error}).") from None


def _vetted(tar: tarfile.TarFile, archive: Path, root: Path) -> list[tarfile.TarInfo]:
    """The members, each a plain file or folder at a plain relative path; BackupError naming the first problem.

    Member names are never shown: in a real photos file they are tokens.
    """
    members = tar.getmembers()
    for member in members:
        problem = _problem(member)
        if problem is None:
            try:
                tarfile.data_filter(member, str(root))
            except tarfile.FilterError as error:
                problem = f"a member tarfile's data filter refuses ({type(error).__name__})"
        if problem:
            raise BackupError(
                f"{archive} is refused: it holds {problem}. Nothing was restored. Check where this file came from, "
                "or restore the database alone with --no-photos."
            )
    return members


def _problem(member: tarfile.TarInfo) -> str | None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or member.name.startswith(("/", "\\")):
        return "an absolute path"
    if not path.parts and not member.isdir():
        return "a file with no name"
    if ".." in path.parts:
        return "a path with '..' (it would land outside PHOTO_DIR)"
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if not (member.isreg() or member.isdir()):
        return "something that is neither a file nor a folder (a device, a pipe, ...)"
    return None


def _make_folders(root: Path, relative: PurePosixPath) -> None:
    folder = root
    for part in relative.parts:
        folder = folder / part
        if not folder.is_dir():
            folder.mkdir(mode=FOLDER_MODE)


def _write_file(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """Write beside `target` (a `.part` file, which sweep_photos clears if this dies), then rename into place."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, tar.extractfile(member) as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, FILE_MODE)
        os.utime(temporary, (member.mtime, member.mtime))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
