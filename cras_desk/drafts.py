"""Drafts: what an advisor types is saved locally as they type, and restored after a crash.

One small JSON file per user; written atomically (write + rename) so a crash mid-write never
loses the previous draft. Cleared when the note is saved to the database.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from cras_desk.paths import drafts_dir


class DraftStore:
    def __init__(self, username: str, folder: Path | None = None) -> None:
        self.path = (folder or drafts_dir()) / f"{username}.json"
        self._lock = threading.Lock()
        self._drafts: dict[str, str] = self._read()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    @staticmethod
    def key(referral_id: int, field_name: str) -> str:
        return f"{referral_id}:{field_name}"

    def get(self, referral_id: int, field_name: str) -> str:
        return self._drafts.get(self.key(referral_id, field_name), "")

    def put(self, referral_id: int, field_name: str, text: str) -> None:
        with self._lock:
            k = self.key(referral_id, field_name)
            if text:
                self._drafts[k] = text
            else:
                self._drafts.pop(k, None)
            self._write()

    def clear(self, referral_id: int, field_name: str) -> None:
        self.put(referral_id, field_name, "")

    def referrals_with_drafts(self) -> list[int]:
        return sorted({int(k.split(":", 1)[0]) for k in self._drafts})

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        # 0600: the notes are about patients; nobody else on the PC may read them.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(tmp, 0o600)  # os.open's mode does not apply to a .tmp left by an earlier crash
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._drafts, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)
