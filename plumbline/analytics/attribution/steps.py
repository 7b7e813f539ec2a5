"""Split a column of paths ("a > b > c") into channel codes without materialising one string per step.

A path file holds millions of steps but only a handful of distinct channel names, so every step is
dictionary-encoded as it was written (untrimmed) and only the few distinct pieces are trimmed. With a
one-byte separator (">" and the like) the pieces are found on the raw UTF-8 bytes with numpy: a piece
runs from one step's first byte to the next step's first byte, its separator included, so the pieces
tile the column's data buffer and become an Arrow string array without copying a byte. A byte of an
ASCII separator never occurs inside a multi-byte UTF-8 character, so cutting at those bytes is exact.
Longer separators go through Arrow's `split_pattern`. Either way a step is the piece without its
separator, trimmed by Arrow's `utf8_trim_whitespace`; empty steps are skipped.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def split_steps(column: pa.ChunkedArray | pa.Array, sep: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps of every row of a string column: (steps per row, code of each step in row order, channel
    names sorted). Codes index the sorted names."""
    if not sep:
        raise ValueError("the path separator must not be empty")
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [_split_chunk(_plain_strings(chunk), sep) for chunk in chunks]
    first_seen = list(dict.fromkeys(name for _, _, names in parts for name in names))
    channels, rank = _sorted(first_seen)
    code_of = dict(zip(first_seen, rank.tolist(), strict=True))
    counts = [part_counts for part_counts, _, _ in parts]
    codes = [np.array([code_of[name] for name in names], dtype=np.int32)[local] for _, local, names in parts]
    return (
        np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64),
        np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32),
        channels,
    )


def _split_chunk(chunk: pa.Array, sep: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Steps per row, the steps' codes and the channel names they index, for one chunk."""
    if len(sep.encode()) == 1:
        pieces, first_piece = _pieces_at_byte(chunk, sep.encode()[0])
        with_separator = True
    else:
        lists = pc.split_pattern(chunk, sep)
        pieces = pc.list_flatten(lists)
        first_piece = np.concatenate([[0], np.cumsum(pc.list_value_length(lists).fill_null(0))])
        with_separator = False
    encoded = pieces.dictionary_encode()
    lookup, names = _codes_of(encoded.dictionary, sep if with_separator else "")
    codes = lookup[np.asarray(encoded.indices)]
    counts = np.diff(first_piece)
    empty = np.flatnonzero(codes < 0)
    if len(empty):
        counts -= np.bincount(np.searchsorted(first_piece, empty, side="right") - 1, minlength=len(counts))
        codes = np.delete(codes, empty)
    return counts, codes, names


def _pieces_at_byte(chunk: pa.Array, sep: int) -> tuple[pa.Array, np.ndarray]:
    """The pieces of a chunk, cut after every separator byte and at every row start, and the index of
    each row's first piece (one more entry at the end: the number of pieces)."""
    offsets = np.frombuffer(
        chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    )[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
    first, end = int(offsets[0]), int(offsets[-1])
    if end == first:
        return pa.array([], pa.large_string()), np.zeros(len(offsets), dtype=np.int64)
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    # cut[p]: a piece starts at byte first + p, after a separator or at a row start; the last entry
    # (the end of the chunk) closes the last piece.
    cut = np.empty(end - first + 1, dtype=np.bool_)
    cut[0] = False
    np.equal(data[first:end], sep, out=cut[1:])
    cut[offsets - first] = True
    bounds = np.flatnonzero(cut)
    bounds += first
    pieces = pa.LargeStringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), chunk.buffers()[2])
    return pieces, np.searchsorted(bounds, offsets)


def _codes_of(dictionary: pa.Array, suffix: str) -> tuple[np.ndarray, list[str]]:
    """For each distinct piece, the code of its step (-1 for an empty step), and the steps' names in
    the order first seen."""
    raw = dictionary.to_pylist()
    if suffix:
        raw = [piece[: -len(suffix)] if piece.endswith(suffix) else piece for piece in raw]
    trimmed = pc.utf8_trim_whitespace(pa.array(raw, pa.large_string())).to_pylist()
    names: dict[str, int] = {}
    codes = [names.setdefault(name, len(names)) if name else -1 for name in trimmed]
    return np.array(codes, dtype=np.int32), list(names)


def _plain_strings(chunk: pa.Array) -> pa.Array:
    """The chunk as string or large_string without nulls (a null path has no steps)."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        chunk = chunk.cast(pa.large_string())
    return pc.fill_null(chunk, "") if chunk.null_count else chunk


def _sorted(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Channel names sorted (as numpy sorts strings) and, for each first-seen code, its sorted rank."""
    dictionary = np.asarray(names, dtype=object)
    order = np.argsort(dictionary.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return dictionary[order], rank
