"""`hazardbot nlu`: one JSON object per input line, for trying phrasings and for logs."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from .names import NameIndex
from .recognizer import Recognizer


def run_cli(lines: Iterable[str], out: TextIO, recognizer: Recognizer, today: date,
            names: NameIndex | None = None, role: str | None = None) -> None:
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        result = recognizer.recognize(text, today=today, names=names, role=role)
        data = result.to_json()
        out.write(json.dumps({k: data[k] for k in ("text", "intent", "confidence", "entities")}
                             | {"role": role or "none"}
                             | {k: data[k] for k in ("ambiguous", "candidates") if k in data},
                             ensure_ascii=False) + "\n")
    out.flush()
