"""The words of every table, note and description, in English and Chinese.

One table of phrases keyed by id (``"stage"``, ``"funnel.owner"`` ...) with the English
and the Chinese text; :func:`word` looks one up. Phrases with ``{}`` fields are filled
with :meth:`str.format` by the caller.
"""

from __future__ import annotations

from typing import Any

from salesfunnel.errors import InvalidParameterError

__all__ = ["LANGS", "WORDS", "check_lang", "word"]

LANGS = ("en", "zh")

#: id -> (English, Chinese)
WORDS: dict[str, tuple[str, str]] = {
    # -- shared column headers -----------------------------------------------------------
    "stage": ("stage", "阶段"),
    "name": ("name", "名称"),
    "kind": ("kind", "类型"),
    "count": ("count", "数量"),
    "step": ("step", "转化率"),
    "overall": ("overall", "累计"),
    "funnel": ("funnel", "漏斗"),
    "win prob": ("win prob", "赢单率"),
    "owner": ("owner", "负责人"),
    "gates": ("gates", "准入条件"),
    "value": ("value", "值"),
    # -- Funnel.describe -----------------------------------------------------------------
    "funnel.owner": ("owner", "负责人"),
    "funnel.gate": ("gate", "达标检查"),
    "funnel.action": ("action", "销售动作"),
    "funnel.won": ("won", "赢单"),
    "funnel.lost": ("lost", "丢单"),
    "funnel.transitions": ("transitions", "流转"),
    "funnel.advance": ("advance", "推进"),
    "funnel.skip_ahead": ("skip ahead", "可跳级"),
    "funnel.fall_back": ("fall back", "可回退"),
    "funnel.can_lose": ("lose from any open stage", "任一未结阶段可丢单"),
    "funnel.expanding": ("expanding (counts may grow)", "扩张型(人数可增长)"),
    "funnel.reentry": ("re-enter at {} after WON", "赢单后回到{}"),
    "funnel.extra": ("extra: ", "额外: "),
    "funnel.sep": (", ", "、"),
}


def check_lang(lang: Any) -> str:
    """``lang`` when it is ``"en"`` or ``"zh"``, else
    :class:`~salesfunnel.errors.InvalidParameterError`."""
    if not isinstance(lang, str) or lang not in LANGS:
        raise InvalidParameterError(
            f"lang must be one of {', '.join(map(repr, LANGS))}; got {lang!r}",
            parameter="lang", value=lang,
        )
    return lang


def word(key: str, lang: str = "en") -> str:
    """The phrase ``key`` in ``lang`` (English for a language without its own text).

    Examples
    --------
    >>> word("stage"), word("stage", "zh")
    ('stage', '阶段')
    """
    try:
        en, zh = WORDS[key]
    except KeyError:
        raise InvalidParameterError(
            f"no phrase {key!r} in the word table; expected one of salesfunnel._util._i18n.WORDS",
            parameter="key", value=key,
        ) from None
    return zh if lang == "zh" else en
