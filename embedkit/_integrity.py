"""Files that prove their integrity: per-block checksums and a completion marker.

A *record* describes one file: ``{"size": bytes, "block": block bytes, "crc32": [one per
block]}`` (plain JSON types, so it can sit in a ``meta.json`` or a model file's header).
A file is checked block by block with CRC-32 (zlib's, about 1 GB/s), which finds every
truncation, every single flipped bit and every burst of up to 32 flipped bits in a block; it
is a guard against damage, not against someone forging a file.

Two ways to use it:

* a folder: write the data files, then :func:`write_manifest` (``MANIFEST.json``, written
  last and atomically, is the completion marker); :func:`verify_manifest` refuses a folder
  without it, a file of the wrong size or a block whose checksum differs, naming the file;
* one file with a header: stream the payload through :class:`ChecksumWriter` (no second
  read), store its ``record()`` in the header, and call :func:`verify_file` with the record
  (``offset`` skips the header) when loading.

Every failure is an :class:`IntegrityError` (an ``EmbedkitError``): one line naming the file.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, "a.bin"), "wb") as f:
...     _ = f.write(b"x" * 10)
>>> _ = write_manifest(d, ["a.bin"])
>>> sorted(verify_manifest(d))
['a.bin']
>>> with open(os.path.join(d, "a.bin"), "r+b") as f:
...     _ = f.write(b"y")
>>> verify_manifest(d)
Traceback (most recent call last):
...
embedkit._integrity.IntegrityError: ... is damaged: bytes 0-9 do not match their checksum
"""

from __future__ import annotations

import json
import os
import zlib

from .errors import EmbedkitError

#: bytes per checksummed block
BLOCK_BYTES = 1 << 22
#: the completion marker of a folder: written last, lists every file with its record
MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = "embedkit-manifest/1"


class IntegrityError(EmbedkitError):
    """A file is truncated, damaged or incomplete (the message names it)."""


class ChecksumWriter:
    """Wrap a binary file opened for writing: ``write`` also checksums what passes, block by block.

    ``record()`` (after the last write) is the record of the bytes written through it.
    Writes must be sequential (no ``seek`` in between).
    """

    def __init__(self, f, *, block=BLOCK_BYTES):
        self.f = f
        self.block = int(block)
        self.size = 0
        self._crcs = []
        self._crc = 0
        self._fill = 0

    def write(self, data):
        mv = memoryview(data).cast("B")
        at = 0
        while at < len(mv):
            take = min(len(mv) - at, self.block - self._fill)
            self._crc = zlib.crc32(mv[at:at + take], self._crc)
            self._fill += take
            at += take
            if self._fill == self.block:
                self._crcs.append(self._crc)
                self._crc, self._fill = 0, 0
        self.f.write(mv)
        self.size += len(mv)
        return len(mv)

    def record(self):
        crcs = self._crcs + ([self._crc] if self._fill or not self._crcs else [])
        return {"size": self.size, "block": self.block, "crc32": list(crcs)}


def file_record(path, *, offset=0, block=BLOCK_BYTES):
    """The record of ``path`` from byte ``offset`` to its end (reads the file once)."""
    crcs, size = [], 0
    with open(path, "rb") as f:
        f.seek(offset)
        while True:
            chunk = f.read(block)
            if not chunk:
                break
            crcs.append(zlib.crc32(chunk))
            size += len(chunk)
    return {"size": size, "block": int(block), "crc32": crcs or [0]}


def _check_record(record, name):
    ok = (isinstance(record, dict) and isinstance(record.get("size"), int) and isinstance(record.get("block"), int)
          and record["block"] > 0 and isinstance(record.get("crc32"), list)
          and len(record["crc32"]) == max(1, -(-record["size"] // record["block"])))
    if not ok:
        raise IntegrityError(f"{name} is damaged: its checksum record is malformed")


def verify_file(path, record, *, offset=0, name=None):
    """Raise IntegrityError unless ``path`` from ``offset`` on matches ``record`` exactly (size and every block)."""
    name = name or os.fspath(path)
    _check_record(record, name)
    try:
        size = os.path.getsize(path) - offset
    except OSError as e:
        raise IntegrityError(f"cannot read {name}: {e.strerror or e}") from None
    if size != record["size"]:
        what = "truncated" if size < record["size"] else "damaged"
        raise IntegrityError(f"{name} is {what}: {size + offset} bytes, expected {record['size'] + offset}")
    block = record["block"]
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            for k, want in enumerate(record["crc32"]):
                chunk = f.read(block)
                if zlib.crc32(chunk) != want:
                    a = offset + k * block
                    raise IntegrityError(f"{name} is damaged: bytes {a}-{a + len(chunk) - 1} do not match their "
                                         f"checksum")
    except OSError as e:
        raise IntegrityError(f"cannot read {name}: {e.strerror or e}") from None


def write_manifest(folder, names, *, extra=None):
    """Checksum ``names`` (files in ``folder``) and write ``MANIFEST.json`` last, atomically: the completion marker.

    Returns the manifest (a dict).
    """
    manifest = {"format": MANIFEST_FORMAT, "files": {n: file_record(os.path.join(folder, n)) for n in names},
                **(extra or {})}
    tmp = os.path.join(folder, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(folder, MANIFEST))
    return manifest


def has_manifest(folder):
    return os.path.isfile(os.path.join(folder, MANIFEST))


def verify_manifest(folder):
    """Check every file listed in ``folder``'s manifest; return ``{name: record}``.

    Raises IntegrityError for a missing marker (an incomplete folder), a missing, truncated
    or damaged file, naming it.
    """
    folder = os.fspath(folder)
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise IntegrityError(f"{folder} is incomplete: no {MANIFEST} (the run that wrote it did not finish)") from None
    except (OSError, ValueError) as e:
        raise IntegrityError(f"{path} is damaged: {getattr(e, 'strerror', None) or e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
            or not isinstance(manifest.get("files"), dict):
        raise IntegrityError(f"{path} is damaged: not an {MANIFEST_FORMAT} manifest")
    for name, record in manifest["files"].items():
        if os.path.basename(name) != name:
            raise IntegrityError(f"{path} is damaged: it lists {name!r}")
        verify_file(os.path.join(folder, name), record, name=os.path.join(folder, name))
    return manifest["files"]
