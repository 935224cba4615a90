"""Our own jieba Tokenizer with the domain dictionary, built once per process.

jieba.add_word only changes the global jieba.dt, and dictionary changes are not thread-safe, so everything is
loaded into a private Tokenizer() at construction and never changed afterwards. Several Recognizer objects in
one process (tests, two apps) share the loaded tokenizer: each Tokenizer costs ~31 MB.
"""
from __future__ import annotations

import logging
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

with warnings.catch_warnings():  # jieba's _compat imports pkg_resources, which warns on new setuptools
    warnings.simplefilter("ignore")
    import jieba

DOMAIN_DICT = "domain_dict.txt"
# Frequency for words added from code (intent keywords) that the dictionary file does not list.
KEYWORD_FREQ = 2000

_lock = threading.Lock()
_cache: dict[tuple[str | None, tuple[str, ...]], tuple[jieba.Tokenizer, float]] = {}


def domain_dict_path() -> Path:
    return Path(str(resources.files(__package__).joinpath(DOMAIN_DICT)))


def _quiet_jieba() -> None:
    # jieba logs "Building prefix dict…" at DEBUG to stderr through its own handler.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)


def _build(extra: Path | None, words: tuple[str, ...]) -> jieba.Tokenizer:
    _quiet_jieba()
    tokenizer = jieba.Tokenizer()
    # The prefix-dict cache goes to a directory of ours, not /tmp/jieba.cache shared with anything else.
    cache_dir = Path(tempfile.gettempdir()) / "hazardbot-jieba"
    cache_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.cache_file = "main-dict.cache"
    tokenizer.initialize()
    tokenizer.load_userdict(str(domain_dict_path()))
    if extra is not None:
        tokenizer.load_userdict(str(extra))
    for word in words:
        if word not in tokenizer.FREQ or tokenizer.FREQ[word] < KEYWORD_FREQ:
            tokenizer.add_word(word, KEYWORD_FREQ)
    return tokenizer


def load_tokenizer(extra: Path | None = None, words: Iterable[str] = ()) -> tuple[jieba.Tokenizer, float]:
    """The shared tokenizer for this dictionary set and the seconds its first load took."""
    key = (str(extra) if extra else None, tuple(sorted(set(words))))
    with _lock:
        if key not in _cache:
            started = time.perf_counter()
            tokenizer = _build(extra, key[1])
            _cache[key] = (tokenizer, time.perf_counter() - started)
        return _cache[key]
