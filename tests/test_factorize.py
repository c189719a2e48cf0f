"""The Arrow input paths: integer keys of text, the two ways text becomes codes (hashed
as integers, hashed as text), which must give the codes of sorting the Python strings;
polars frames, lazy frames, text views and DuckDB relations through Arrow."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")

from salesfunnel.events._factorize import (  # noqa: E402
    MAX_KEY_BYTES,
    RowKeys,
    _ascii_rows,
    _packed_codes,
    arrow_codes,
    text_keys,
)

# text without lone surrogates (Arrow holds UTF-8 only), NUL and non-ASCII included
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
SHORT = st.text(st.sampled_from("ab\x00é漢z0"), max_size=10)


def expected(values: list[str]) -> tuple[list[int], list[str]]:
    """Codes and distinct values of ``values`` by sorting the Python strings."""
    uniques = sorted(set(values))
    where = {u: i for i, u in enumerate(uniques)}
    return [where[v] for v in values], uniques


def key_rows(keys: list[tuple[np.ndarray[Any, Any], int]], n: int) -> list[tuple[int, ...]]:
    return [tuple(int(k[i]) for k, _ in keys) for i in range(n)]


@given(values=st.lists(st.one_of(TEXT, SHORT), min_size=1, max_size=30),
       large=st.booleans(), cut=st.integers(0, 3))
def test_text_keys_order_and_tie_exactly_like_the_strings(values: list[str], large: bool,
                                                          cut: int) -> None:
    kind = pa.large_string() if large else pa.string()
    array = pa.array(["pad"] * cut + values, kind).slice(cut)  # a non-zero offset
    keys = text_keys(pa, array)
    lengths = {len(v.encode()) for v in values}
    if keys is None:  # refused only for long text, or NUL in text of several lengths
        assert max(lengths) > MAX_KEY_BYTES or (
            len(lengths) > 1 and any("\x00" in v for v in values))
        return
    assert all(0 < bits <= 64 for _, bits in keys)
    assert all(int(k.max()) < 2**bits for k, bits in keys)
    rows = key_rows(keys, len(values))
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (rows[i] < rows[j]) == (a < b)
            assert (rows[i] == rows[j]) == (a == b)


@given(data=st.data(), width=st.integers(1, 12), n=st.integers(1, 40),
       alphabet=st.sampled_from(["ab\x00z0~\x7f", "0123456789", "漢é"]))
def test_text_keys_of_one_width_order_and_tie_like_the_strings(data: st.DataObject,
                                                               width: int, n: int,
                                                               alphabet: str) -> None:
    """Texts of one byte width keep only the bits each byte position spans (digits: 4):
    the keys still order and tie exactly like the strings (NUL and multi-byte text too),
    and the codes of the integer path are those of the sorted strings."""
    if alphabet == "漢é":  # pieces of 5 UTF-8 bytes each: one byte width
        piece = st.sampled_from(["漢é", "é漢"])
        values = data.draw(st.lists(st.lists(piece, min_size=width // 2 + 1,
                                             max_size=width // 2 + 1).map("".join),
                                    min_size=n, max_size=n))
    else:
        values = data.draw(st.lists(st.text(st.sampled_from(alphabet), min_size=width,
                                            max_size=width), min_size=n, max_size=n))
    keys = text_keys(pa, pa.array(values))
    if len(values[0].encode()) > MAX_KEY_BYTES:
        assert keys is None
        return
    assert keys is not None and all(0 < bits <= 64 for _, bits in keys)
    rows = key_rows(keys, len(values))
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (rows[i] < rows[j]) == (a.encode() < b.encode())
            assert (rows[i] == rows[j]) == (a == b)
    packed = _packed_codes(pa, pa.chunked_array([values]))
    if packed is not None:
        want_codes, want_uniques = expected(values)
        assert packed[0].tolist() == want_codes and packed[1].tolist() == want_uniques


@pytest.mark.parametrize("shape", [("D", 8), ("deal-", 19), ("", 16), ("x", 7, "yz", 8),
                                   ("", 30)])
def test_one_width_text_is_a_mixed_radix_number(shape: tuple[Any, ...]) -> None:
    """Each byte position of one-width text is a digit in the base of the values it
    spans: ids of up to 19 varying digits are one ``uint64`` key equal to that number
    written out in Python (a 19-digit id: 62 bits, where 4 bits a digit need 76); longer
    ones split into keys that still order and tie exactly like the strings."""
    rng = np.random.default_rng(3)
    n = 400
    ids = [""] * n
    for piece in shape:
        if isinstance(piece, str):
            ids = [v + piece for v in ids]
        else:
            digits = rng.integers(0, 10, (n, piece))
            digits[:, 0] %= 3  # a leading digit of 0 .. 2: base 3
            ids = [v + "".join(map(str, d)) for v, d in zip(ids, digits.tolist(), strict=True)]
    rows = [v.encode() for v in ids]
    lows = [min(r[j] for r in rows) for j in range(len(rows[0]))]
    bases = [max(r[j] for r in rows) - lows[j] + 1 for j in range(len(rows[0]))]
    want = [0] * n  # the mixed-radix number of every row
    for j, base in enumerate(bases):
        want = [a * base + r[j] - lows[j] for a, r in zip(want, rows, strict=True)]
    product = int(np.prod(bases, dtype=object))
    keys = text_keys(pa, pa.array(ids))
    assert keys is not None
    assert all(0 < bits <= 64 and int(k.max()) < 2**bits for k, bits in keys)
    if product < 2**64:
        assert len(keys) == 1 and keys[0][0].tolist() == want
        assert keys[0][1] == (product - 1).bit_length()
    else:
        assert len(keys) == 2
        got = [tuple(int(k[i]) for k, _ in keys) for i in range(n)]
        for i in rng.integers(0, n, 60).tolist():
            for j in rng.integers(0, n, 60).tolist():
                assert (got[i] < got[j]) == (ids[i] < ids[j])
                assert (got[i] == got[j]) == (ids[i] == ids[j])


def test_digit_ids_are_base_10_numbers() -> None:
    """``D%08d`` ids: 8 digits in base 10 (27 bits), so key and row fit one uint64 and
    the codes come from one radix sort; 19-digit ids are one 63-bit key; 25-digit ids
    sort over two keys; all agree with sorting the strings."""
    rng = np.random.default_rng(11)
    ids = [f"D{v:08d}" for v in rng.integers(0, 10**8, 70_000)]
    keys = text_keys(pa, pa.array(ids))
    assert keys is not None and [bits for _, bits in keys] == [27]
    codes, uniques, _ = _packed_codes(pa, pa.chunked_array([ids]))
    want_codes, want_uniques = expected(ids)
    assert codes.tolist() == want_codes and uniques.tolist() == want_uniques
    for digits, n_keys in ((19, 1), (25, 2)):
        long_ids = [f"deal-{v:0{digits}d}" for v in rng.integers(0, 2**62, 70_000)]
        long_ids = [v[:5] + str(rng.integers(0, 5)) + v[6:] for v in long_ids]
        long_ids += long_ids[:5_000]  # repeated ids
        keys = text_keys(pa, pa.array(long_ids))
        assert keys is not None and len(keys) == n_keys
        codes, uniques, _ = _packed_codes(pa, pa.chunked_array([long_ids]))
        want_codes, want_uniques = expected(long_ids)
        assert codes.tolist() == want_codes and uniques.tolist() == want_uniques


def test_text_keys_refuse_what_they_cannot_order() -> None:
    assert text_keys(pa, pa.array(["a", "a\x00"])) is None  # padding would tie them
    assert text_keys(pa, pa.array(["a\x00", "b\x00"])) is not None  # one width: fine
    assert text_keys(pa, pa.array(["x" * (MAX_KEY_BYTES + 1)])) is None
    assert text_keys(pa, pa.array(["a", None])) is None
    assert text_keys(pa, pa.array([1, 2])) is None
    assert text_keys(pa, pa.array(["a", "b", "c"]), limit=1) is None  # 2 bits needed
    assert text_keys(pa, pa.array([], pa.string())) == []
    assert text_keys(pa, pa.array(["same", "same"])) == []  # nothing varies


@settings(max_examples=60)
@given(values=st.lists(st.one_of(TEXT, SHORT), min_size=1, max_size=40),
       chunks=st.integers(1, 3))
def test_both_arrow_paths_give_the_codes_of_sorted_strings(values: list[str],
                                                           chunks: int) -> None:
    step = -(-len(values) // chunks)
    column = pa.chunked_array([values[i:i + step] for i in range(0, len(values), step)],
                              pa.string())
    want_codes, want_uniques = expected(values)
    codes, uniques, missing = arrow_codes(column)  # small: hashed as text
    assert codes.tolist() == want_codes and uniques.tolist() == want_uniques
    assert not missing.any()
    packed = _packed_codes(pa, column)
    if packed is not None:
        assert packed[0].tolist() == want_codes
        assert packed[1].tolist() == want_uniques
        # one-width ASCII without a trailing NUL comes back as a ``U`` array
        one_width = len({len(v.encode()) for v in values}) == 1
        fixed = one_width and all(v.isascii() and not v.endswith("\x00") for v in values)
        assert packed[1].dtype.kind == ("U" if fixed and values[0] else "O")


@given(data=st.data(), alphabet=st.sampled_from(["a\x00~\x7f", "a\x00é~"]),
       rows=st.lists(st.integers(0, 29), max_size=10), start=st.integers(0, 2))
def test_ascii_rows_are_the_texts_or_refused(data: st.DataObject, alphabet: str,
                                             rows: list[int], start: int) -> None:
    """The distinct ids of one-width text straight from Arrow's bytes (of a sliced array
    too): exactly the strings at those rows when they are ASCII without a trailing NUL
    and every text has one byte width, else ``None``; never a wrong string."""
    values = data.draw(st.lists(st.text(st.sampled_from(alphabet), min_size=3, max_size=3),
                                min_size=1, max_size=30))
    start = min(start, len(values) - 1)
    texts = values[start:]
    picked = [r for r in rows if r < len(texts)]
    got = _ascii_rows(pa, pa.array(values)[start:], np.array(picked, dtype=np.int64))
    want = [texts[r] for r in picked]
    fits = len({len(v.encode()) for v in texts}) == 1 and bool(want) and all(
        v.isascii() and not v.endswith("\x00") for v in want)
    if fits:
        assert got is not None and got.dtype.kind == "U" and got.tolist() == want
    else:
        assert got is None


@settings(max_examples=60)
@given(values=st.lists(st.one_of(st.text(st.sampled_from("D0123456789"), min_size=4,
                                         max_size=4), SHORT), min_size=1, max_size=40),
       data=st.data())
def test_row_keys_factorize_any_subset_of_rows(values: list[str], data: Any) -> None:
    """Keys made once for a whole column give every subset of its rows (a partition)
    the codes and sorted distinct ids of sorting those rows' strings."""
    keys = RowKeys.of(pa, pa.chunked_array([values]))
    if keys is None:  # keys over 64 bits, or text of several widths holding a NUL
        assert text_keys(pa, pa.array(values), limit=64) is None
        return
    rows = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True))
    rows_a = np.array(sorted(rows), dtype=np.int64)
    codes, uniques, missing = keys.codes(rows_a)
    want_codes, want_uniques = expected([values[r] for r in rows_a])
    assert codes.tolist() == want_codes and uniques.tolist() == want_uniques
    assert not missing.any()


@settings(max_examples=40)
@given(text=st.sampled_from(["", "D7", "é"]), n=st.integers(0, 700),
       cuts=st.lists(st.integers(0, 700), max_size=3))
def test_row_keys_of_one_repeated_text_and_of_no_chunks(text: str, n: int,
                                                        cuts: list[int]) -> None:
    """A column of one text repeated (the empty text too, 256 rows and more: its bytes
    are an ``n x 0`` matrix) or of no chunks at all has no key bits: every row gets code
    0. Both used to raise (ValueError of a reshape, IndexError of ``chunk(0)``)."""
    bounds = sorted({0, n, *(c for c in cuts if c < n)})
    column = pa.chunked_array([[text] * (b - a) for a, b in itertools.pairwise(bounds)],
                              pa.string())
    assert text_keys(pa, pa.array([text] * n, pa.string())) == []
    keys = RowKeys.of(pa, column)
    assert keys is not None
    codes, uniques, missing = keys.codes(np.arange(n, dtype=np.int64))
    assert codes.tolist() == [0] * n and uniques.tolist() == ([text] if n else [])
    assert not missing.any()


def test_many_ids_take_the_integer_path_and_match_the_text_path() -> None:
    rng = np.random.default_rng(7)
    # CRM-like ids of several widths, with a shared prefix: many distinct values
    ids = [f"D{v:0{w}d}" for v, w in zip(rng.integers(0, 60_000, 50_000),
                                          rng.integers(6, 9, 50_000), strict=True)]
    column = pa.chunked_array([ids[:20_000], ids[20_000:]])
    assert _packed_codes(pa, column) is not None
    codes, uniques, missing = arrow_codes(column)
    want_codes, want_uniques = expected(ids)
    assert codes.tolist() == want_codes and uniques.tolist() == want_uniques
    assert not missing.any()
    # with one id missing, the text path runs and agrees on the other rows
    with_null = pa.chunked_array([ids[:20_000], [*ids[20_000:-1], None]])
    codes2, uniques2, missing2 = arrow_codes(with_null)
    assert missing2.tolist() == [False] * (len(ids) - 1) + [True]
    assert codes2[-1] == 0
    assert [uniques2[c] for c in codes2[:-1]] == ids[:-1]
    assert uniques2.tolist() == sorted(set(ids[:-1]))


def test_dictionary_columns_and_long_ids_are_sorted_by_arrow_or_keys() -> None:
    long_ids = [f"{'x' * 70}{i % 7}" for i in range(30)]
    codes, uniques, _ = arrow_codes(pa.array(long_ids))
    assert [uniques[c] for c in codes] == long_ids
    assert uniques.tolist() == sorted(set(long_ids))
    column = pa.array(["b", "a", None, "b"]).dictionary_encode()
    codes, uniques, missing = arrow_codes(column)
    assert codes.tolist() == [1, 0, 0, 1] and uniques.tolist() == ["a", "b"]
    assert missing.tolist() == [False, False, True, False]


def test_ids_no_row_uses_are_no_entities(tmp_path: Any) -> None:
    from salesfunnel import EventLog, Funnel, Stage
    from salesfunnel.io import read_events

    pq = pytest.importorskip("pyarrow.parquet")
    f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    # dictionary columns whose dictionaries hold values no row uses (a slice, declared
    # pandas categories): the ids are only those of the rows; a segment keeps its
    # declared categories, as from_pandas does
    table = pa.table({"entity": pa.array(["c", "a", "b"]).dictionary_encode()[1:],
                      "stage": ["lead", "won"], "ts": [0, 5],
                      "seg": pa.array(["x", "y", "z"]).dictionary_encode()[1:]})
    log = EventLog.from_arrow(f, table, unit="s", segments=["seg"])
    assert log.n_entities == 2 and log.ids.tolist() == ["a", "b"]
    assert log.entity.tolist() == [0, 1]
    assert log.segments["seg"].categories.tolist() == ["x", "y", "z"]
    assert log.segments["seg"].values().tolist() == ["y", "z"]
    path = tmp_path / "e.parquet"
    pq.write_table(table.select(["entity", "stage", "ts"]), path)
    assert pa.types.is_dictionary(pq.read_table(path).column("entity").type)
    got = read_events(path, f, entity="entity", stage="stage", ts="ts", unit="s")
    assert got.ids.tolist() == ["a", "b"] and got.entity.tolist() == [0, 1]


# -- polars through Arrow gives what polars through numpy gave ------------------------------
POLARS_COLUMNS = {
    "entity": st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "", " "]), st.none()),
    "stage": st.one_of(st.sampled_from(["lead", "won", "Won", "x"]), st.none()),
    "ts": st.one_of(st.sampled_from(["2026-01-05T09:00:00Z", "2026-01-05 10:00:00+01:00",
                                     "2026-01-05T09:00", "never", ""]), st.none()),
    "amount": st.one_of(st.floats(allow_nan=True), st.none()),
    "seg": st.one_of(st.sampled_from(["ads", "web"]), st.none()),
}


@settings(max_examples=80)
@given(rows=st.lists(st.fixed_dictionaries(POLARS_COLUMNS), max_size=8),
       text_ids=st.booleans(), naive=st.sampled_from(["raise", "utc"]),
       on_invalid=st.sampled_from(["raise", "drop"]), lazy=st.booleans(),
       categorical=st.booleans())
def test_polars_through_arrow_agrees_with_polars_through_numpy(
        rows: list[dict[str, Any]], text_ids: bool, naive: str, on_invalid: str,
        lazy: bool, categorical: bool) -> None:
    pl = pytest.importorskip("polars")
    from salesfunnel import EventLog, EventLogError, Funnel, Stage
    from salesfunnel.events import _sources

    f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    for row in rows:  # one type per column
        if text_ids and row["entity"] is not None:
            row["entity"] = str(row["entity"])
        elif not text_ids and isinstance(row["entity"], str):
            row["entity"] = len(row["entity"])
    schema = {"entity": pl.String if text_ids else pl.Int64, "stage": pl.String,
              "ts": pl.String, "amount": pl.Float64,
              "seg": pl.Categorical if categorical else pl.String}
    frame = pl.DataFrame(rows, schema=schema)

    def build() -> Any:
        try:
            log = EventLog.from_polars(f, frame.lazy() if lazy else frame, amount="amount",
                                       segments=["seg"], naive=naive,  # type: ignore[arg-type]
                                       on_invalid=on_invalid)  # type: ignore[arg-type]
        except EventLogError as exc:
            return str(exc)
        return (log.ids.tolist(), log.entity.tolist(), log.stage.tolist(), log.ts.tolist(),
                np.nan_to_num(log.amount, nan=-1.5).tolist(),
                log.segments["seg"].values().tolist(), log.dropped)

    fast = build()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_sources, "_polars_to_arrow", lambda pl, frame: None)
        slow = build()
    assert fast == slow


def test_text_views_polars_frames_and_duckdb_relations_go_through_arrow() -> None:
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    from salesfunnel import EventLog, EventLogError, Funnel, Stage

    f = Funnel("f", [Stage("lead"), Stage("won", kind="won")])
    frame = pl.DataFrame({"entity": ["b", "a", "b"], "stage": ["lead", "won", "won"],
                          "ts": ["2026-01-01T00:00Z", "2026-01-02T00:00Z", None],
                          "seg": ["x", None, "y"]})
    want = EventLog.from_arrays(f, entity=["b", "a", "b"], stage=["lead", "won", "won"],
                                ts=["2026-01-01T00:00Z", "2026-01-02T00:00Z", None],
                                segments={"seg": ["x", None, "y"]}, on_invalid="drop")
    views = pa.table({c: pa.array(frame[c].to_list(), pa.string_view()) for c in frame.columns})
    con = duckdb.connect()
    con.register("frame", frame.to_arrow())
    sources = {"polars": frame, "polars-lazy": frame.lazy(), "views": views,
               "arrow-stream": frame, "duckdb": con.sql("select * from frame")}
    for name, source in sources.items():
        make = EventLog.from_polars if name.startswith("polars") else EventLog.from_arrow
        log = make(f, source, segments=["seg"], on_invalid="drop")
        assert log.ids.tolist() == want.ids.tolist(), name
        assert log.entity.tolist() == want.entity.tolist(), name
        assert log.ts.tolist() == want.ts.tolist() and type(log.ts) is np.ndarray, name
        assert log.segments["seg"].values().tolist() == ["x", None], name
        # a missing time is no text, whichever way the column came
        with pytest.raises(EventLogError, match=r"1 with a missing time \(first: None\)"):
            make(f, source, segments=["seg"])


@settings(max_examples=40)
@given(texts=st.lists(st.text(st.sampled_from("D\x00é7"), min_size=1, max_size=5),
                      min_size=1, max_size=12, unique=True))
def test_u_arrays_with_a_nul_inside_a_text_keep_every_id(texts: list[str]) -> None:
    """Text ids in a numpy ``U`` array (what ``EventLog.ids`` now is for one-width ASCII
    text from Arrow, a NUL inside an id included) are factorized and hashed like the same
    texts in an object array. pyarrow cuts a ``U`` array's texts at their first NUL: the
    1,024+ row fast path merged ``'D\\x00a'`` and ``'D\\x00b'`` into one id ``'D'``, and
    their hashes differed from the object array's."""
    from salesfunnel._engine._hash import hash_ids
    from salesfunnel.events._factorize import factorize_objects

    values = np.array((texts * (1100 // len(texts) + 1))[:1100])
    assert values.dtype.kind == "U"
    codes, uniques, missing = factorize_objects(values)
    want_codes, want_uniques = expected(values.tolist())
    assert list(uniques) == want_uniques and codes.tolist() == want_codes
    assert not missing.any()
    as_objects = values.astype(object)
    assert hash_ids(values).tolist() == hash_ids(as_objects).tolist()
