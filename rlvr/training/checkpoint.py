"""Checkpoints that a SIGKILL cannot corrupt, and that damage after the fact cannot slip past.

A checkpoint is written whole into a staging directory, then renamed into place: ``rename`` is
atomic, so ``out/checkpoint`` is always either the previous complete checkpoint or the new one.
Between the two renames of a replacement the previous one lives at ``out/.checkpoint-old``;
after it, the previous one moves to ``out/checkpoint/previous`` (and the one before that is
deleted), so there is always one to fall back to.

Each checkpoint ends with ``manifest.json``: size and sha256 of every file, written last and
atomically. ``find_latest`` returns the newest checkpoint whose files all match their manifest,
and says why it skipped any newer one (a truncated copy, a flipped bit, a file gone). A
checkpoint with no manifest (written before manifests existed) is used unverified, with a note.

Run files other than the append-only logs go through ``atomic_write_text`` (a temporary file,
then ``os.replace``), so a kill or a full disk leaves the old file or the new one, never half.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATE_FILE = "trainer_state.pt"
MANIFEST = "manifest.json"
CONFIG_FILE = "train_config.json"
"""The run's resolved TrainConfig (and model architecture) at the time of the checkpoint, so
a resume can tell which values changed."""
PREVIOUS = "previous"
KEPT = ".checkpoint-kept"
MANIFEST_FORMAT = 1


class CheckpointWarning(RuntimeWarning):
    """A damaged checkpoint was skipped, or one was used unverified."""


# ------------------------------------------------------------------------------- writing
def write(
    out: Path,
    step: int,
    fill: Callable[[Path], None],
    keep: Path | None = None,
    drop_old: bool = False,
) -> Path:
    """Call ``fill(staging_dir)``, add the manifest, then move the result to ``out/checkpoint``
    atomically, keeping the checkpoint it replaces as ``out/checkpoint/previous``. If ``fill``
    fails (a full disk), the staging directory is removed and the last checkpoint is intact.

    ``keep``: the checkpoint a resume fell back to, because every newer one is damaged. It
    becomes the previous one, and the damaged ones go (else the damaged newest would be kept
    as the fallback and the good one deleted). ``drop_old``: the checkpoint there belongs to
    another run (a new run in an old directory), so it is replaced, not kept as previous."""
    for stale in out.glob(".checkpoint-[0-9]*"):  # left by a kill during an earlier write
        shutil.rmtree(stale, ignore_errors=True)
    final, old = out / "checkpoint", out / ".checkpoint-old"
    staging = out / f".checkpoint-{step}"
    try:
        fill(staging)
        if not (staging / STATE_FILE).is_file():
            raise RuntimeError(f"checkpoint writer left no {STATE_FILE} in {staging}")
        _write_manifest(staging, step)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if keep is not None and keep != final and keep.exists():
        kept = out / KEPT
        if keep != kept:
            shutil.rmtree(kept, ignore_errors=True)
            keep.rename(kept)  # out of the damaged tree first; find_latest looks here too
        for damaged in (final, old):
            shutil.rmtree(damaged, ignore_errors=True)
        kept.rename(old)  # now as after a kill between renames: old becomes the previous
    if final.exists():
        if old.exists():  # a kill after the last swap left the one before; final supersedes it
            shutil.rmtree(old)
        final.rename(old)
    if old.exists():
        shutil.rmtree(old / PREVIOUS, ignore_errors=True)  # keep one previous, not a chain
    staging.rename(final)
    if old.exists():
        if drop_old:
            shutil.rmtree(old)
        else:
            old.rename(final / PREVIOUS)
    _fsync_dir(out)
    return final


def _write_manifest(directory: Path, step: int) -> None:
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        files[path.relative_to(directory).as_posix()] = {
            "bytes": path.stat().st_size,
            "sha256": _sha256(path, sync=True),
        }
    manifest = {"format": MANIFEST_FORMAT, "step": step, "files": files}
    atomic_write_text(directory / MANIFEST, json.dumps(manifest, indent=1))


def _sha256(path: Path, sync: bool = False) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
        if sync:  # on disk before the manifest vouches for it
            os.fsync(f.fileno())
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a directory
            os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: a kill or an error (disk full) mid-write
    leaves the old file, and no temporary file behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------------------- reading
def candidates(out: Path) -> list[Path]:
    """Where checkpoints may be, newest first, whatever moment a kill interrupted a write."""
    final, old = out / "checkpoint", out / ".checkpoint-old"
    return [final, old, final / PREVIOUS, old / PREVIOUS, out / KEPT]


def verify(checkpoint: Path) -> str | None:
    """None if every file in ``checkpoint``'s manifest is there with its size and sha256;
    else what is wrong, naming the file. A checkpoint without a manifest is not judged here
    (``find_latest`` uses it with a note)."""
    manifest_path = checkpoint / MANIFEST
    if not manifest_path.is_file():
        return None if (checkpoint / STATE_FILE).is_file() else f"no {STATE_FILE}"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict) or STATE_FILE not in files:
            raise ValueError(f"lists no {STATE_FILE}")
        entries = [(str(name), int(e["bytes"]), str(e["sha256"])) for name, e in files.items()]
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        return f"{MANIFEST} is unreadable ({err})"
    for name, size, digest in entries:
        path = checkpoint / name
        if not path.is_file():
            return f"{name} is missing"
        actual = path.stat().st_size
        if actual != size:
            how = "truncated" if actual < size else "changed"
            return f"{name} has {actual} bytes, the manifest says {size} ({how})"
        if _sha256(path) != digest:
            return f"{name} does not match its sha256 in the manifest (damaged)"
    return None


def find_latest(out: Path) -> tuple[Path | None, list[str]]:
    """The newest intact checkpoint in ``out`` (or None), and a line per checkpoint skipped as
    damaged, or used without a manifest to check it against."""
    notes: list[str] = []
    for candidate in candidates(out):
        if not (candidate / STATE_FILE).is_file() and not (candidate / MANIFEST).is_file():
            continue
        problem = verify(candidate)
        if problem is not None:
            notes.append(f"skipped damaged checkpoint {candidate}: {problem}")
            continue
        if not (candidate / MANIFEST).is_file():
            notes.append(f"checkpoint {candidate} has no manifest (older rlvr): used unverified")
        return candidate, notes
    return None, notes


def latest(out: Path) -> Path | None:
    """``find_latest``'s checkpoint, each skipped one a ``CheckpointWarning``."""
    found, notes = find_latest(out)
    for note in notes:
        warnings.warn(note, CheckpointWarning, stacklevel=2)
    return found


def load_state(checkpoint: Path) -> dict[str, Any]:
    import torch  # here, so the command line's file helpers above load without torch

    return torch.load(checkpoint / STATE_FILE, weights_only=False)


def saved_config(checkpoint: Path) -> dict[str, Any] | None:
    """What the run wrote to ``CONFIG_FILE`` (``{"config": ..., "model_config": ...}``), or
    None for a checkpoint written before it existed."""
    path = checkpoint / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is unreadable ({err})") from None
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise ValueError(f"{path} holds no run config")
    return saved


def truncate_log(path: Path, step: int) -> None:
    """Drop log rows written after ``step`` (by a run killed before its next checkpoint)."""
    if not path.is_file():
        return
    rows = [line for line in path.read_text().splitlines() if _step(line) <= step]
    atomic_write_text(path, "".join(row + "\n" for row in rows))


def _step(line: str) -> float:
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):  # a line cut short by the kill
        return float("inf")
