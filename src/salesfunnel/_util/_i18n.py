"""The words of every table, note and description, in English and Chinese.

One table of phrases keyed by id (``"stage"``, ``"funnel.owner"`` ...) with the English
and the Chinese text; :func:`word` looks one up. Phrases with ``{}`` fields are filled
with :meth:`str.format` by the caller.
"""

from __future__ import annotations

from typing import Any

from salesfunnel.errors import InvalidParameterError

__all__ = ["LANGS", "NOUNS", "WORDS", "check_lang", "counted", "word"]

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
    "none": ("none", "无"),
    "interval": ("{} interval", "{} 区间"),
    "drop-off": ("drop-off", "流失"),
    "step.name": ("step", "步骤"),
    "median": ("median", "中位数"),
    "mean": ("mean", "均值"),
    "note": ("note: {}: {}", "注: {}: {}"),
    # -- metrics: conversion -------------------------------------------------------------
    "conv.title": ("Conversion ({}) of {}; {} {} intervals", "转化 ({}), {}; {} {} 区间"),
    "conv.window": (", window ", ", 时间窗 "),
    "conv.bottleneck": ("bottleneck: {} (step rate {})", "瓶颈: {} (转化率 {})"),
    "conv.undefined": ("no entity reached the first stage: rates are undefined",
                       "没有实体到达第一阶段: 比率无定义"),
    "conv.entered": ("entered: step = share of the previous stage's entities also seen "
                     "here; overall = share of all entities",
                     "entered: 环节转化率 = 上一阶段的实体中也出现在本阶段的比例; "
                     "总转化率 = 占全部实体的比例"),
    # -- metrics: timing and survival ----------------------------------------------------
    "timing.title": ("Timing of {} (durations from the first time at each depth)",
                     "{}的时长 (从首次到达各深度起计)"),
    "surv.title": ("Kaplan-Meier time to {} as of {}: {}, {:,} converted, {:,} right-censored "
                   "(lost: {})",
                   "到达 {} 的 Kaplan-Meier 时间 (截至 {}): {}, {:,} 个转化, {:,} 个右删失 "
                   "(丢单: {})"),
    "time": ("time", "时间"),
    "at risk": ("at risk", "风险集"),
    "events": ("events", "事件"),
    "censored": ("censored", "删失"),
    "S(t)": ("S(t)", "留存 S(t)"),
    "surv.shown": ("({} of {:,} rows shown)", "(显示 {} / {:,} 行)"),
    "surv.median": ("median time to conversion: {}", "转化时间中位数: {}"),
    "surv.not_reached": ("not reached ({})", "未达到 ({})"),
    # -- metrics: pipeline ---------------------------------------------------------------
    "pipe.title": ("Pipeline ({}): {}, {:,} open, {:,} won, {:,} lost",
                   "管道 ({}): {}, {:,} 未结, {:,} 赢单, {:,} 丢单"),
    "pipe.all": ("all events", "全部事件"),
    "pipe.as_of": ("as of {}", "截至 {}"),
    "prob.": ("prob.", "概率"),
    "amount": ("value", "金额"),
    "weighted": ("weighted", "加权"),
    "pipe.open": ("open pipeline: {}, weighted {}", "未结管道: {}, 加权 {}"),
    "pipe.win": ("win rate: {}; average won amount: {}; average cycle: {}",
                 "赢单率: {}; 平均赢单金额: {}; 平均周期: {}"),
    "pipe.velocity": ("sales velocity: {} per day", "销售速度: 每天 {}"),
    "pipe.coverage": ("coverage of target {}: {} weighted, {} unweighted",
                      "目标 {} 的覆盖率: 加权 {}, 未加权 {}"),
    # -- metrics: cohorts and comparison -------------------------------------------------
    "cohort.title": ("Cohorts by {} ({}), overall conversion from {!r}",
                     "按{}分组 ({}), 从 {!r} 起的累计转化"),
    "cohort.title_empty": ("Cohorts by {}", "按{}分组"),
    "cohort.none": ("(no cohorts)", "(无分组)"),
    "cohort": ("cohort", "分组"),
    "entities": ("entities", "实体数"),
    "cmp.title": ("Comparison of conversion ({}): {} vs {}; {} Newcombe intervals, "
                  "two-proportion z-test, P({} > {}) from Beta{} posteriors",
                  "转化对比 ({}): {} 对 {}; {} Newcombe 区间, 双比例 z 检验, "
                  "P({} > {}) 来自 Beta{} 后验"),
    "cmp.of": ("{} of {}", "{} / {}"),
    "difference": ("difference", "差异"),
    "p-value": ("p-value", "p 值"),
    # -- planner: Markov chain -----------------------------------------------------------
    "markov.visits": ("visits", "访问次数"),
    "markov.moves": ("moves to close", "结单步数"),
    "markov.days": ("days to close", "结单天数"),
    "markov.days_win": ("days to win", "赢单天数"),
    "markov.title": ("Markov chain of funnel {!r}: {:,} moves of {:,} entities",
                     "漏斗 {!r} 的马尔可夫链: {:,} 次流转, {:,} 个实体"),
    "markov.unfitted": ("MarkovModel(smoothing={!r}), not fitted",
                        "MarkovModel(smoothing={!r}), 尚未拟合"),
    # -- metrics: breakdown --------------------------------------------------------------
    "bd.none": ("(no groups by {!r})", "(没有按 {!r} 的分组)"),
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
    # -- metrics: correlation (drivers of conversion) ------------------------------------
    "corr.title": ("Drivers of conversion {} -> {}: {:,} converters vs {:,} drop-offs",
                   "转化驱动因素 {} -> {}: {:,} 个转化 vs {:,} 个流失"),
    "corr.note": ("{} features tested, {} significant at {} after the {} correction",
                  "共检验 {} 个特征, {} 个在 {} 水平显著 ({} 校正)"),
    "corr.rank": ("rank", "排名"),
    "corr.feature": ("feature", "特征"),
    "corr.segment": ("segment", "分群"),
    "corr.event": ("event", "事件"),
    "corr.with": ("with it", "具备数"),
    "corr.rate": ("conv. rate", "转化率"),
    "corr.or": ("odds ratio", "优势比"),
    "corr.q": ("adj. p", "校正 p 值"),
    "corr.direction": ("direction", "方向"),
    "corr.over": ("over", "偏高"),
    "corr.under": ("under", "偏低"),
    "corr.neutral": ("neutral", "持平"),
    # -- metrics: stale deals --------------------------------------------------------------
    "stale.title": ("Stale deals as of {}: {:,} of {:,} open deals past their stage's "
                    "threshold ({})",
                    "截至 {} 的停滞商机: {:,} / {:,} 个未结商机超过阶段时限 ({})"),
    "stale.clock.stage": ("days in stage", "在阶段内的天数"),
    "stale.clock.activity": ("days since the latest event", "距最近一次事件的天数"),
    "stale.threshold": ("threshold (days)", "时限 (天)"),
    "stale.open": ("open", "未结"),
    "stale.stale": ("stale", "停滞"),
    "stale.share": ("share", "占比"),
    "stale.list": ("Most overdue", "超期最久"),
    "stale.deal": ("deal", "商机"),
    "stale.days": ("days", "天数"),
    "stale.over": ("over by", "超出天数"),
    "stale.amount": ("amount", "金额"),
    # -- metrics: forecast categories ----------------------------------------------------
    "fcat.title": ("Forecast categories as of {}: deals / amount by expected close {}",
                   "预测类别 (截至 {}): 按预计成交{}统计的商机数 / 金额"),
    "fcat.category": ("category", "类别"),
    "fcat.total": ("total", "合计"),
    "fcat.pipeline": ("pipeline", "管道"),
    "fcat.best_case": ("best case", "最佳情况"),
    "fcat.commit": ("commit", "承诺"),
    "fcat.closed": ("closed", "已成交"),
    "fcat.omitted": ("omitted", "已排除"),
    "fcat.month": ("month", "月份"),
    "fcat.quarter": ("quarter", "季度"),
    "fcat.year": ("year", "年份"),
    # -- planner: deal scoring and calibration -------------------------------------------
    "score.title": ("Deal scores as of {}: {:,} open deals ({})",
                    "商机评分 (截至 {}): {:,} 个未结商机 ({})"),
    "score.deals": ("deals", "商机数"),
    "score.mean": ("mean score", "平均评分"),
    "score.nominal": ("stage prob.", "阶段概率"),
    "score.expected": ("expected wins", "预期赢单数"),
    "scorer.unfitted": ("DealScorer(method={!r}), not fitted yet",
                        "DealScorer(method={!r}), 尚未拟合"),
    "scorer.title": ("Deal scorer ({}) fitted on funnel {!r}: one model per step",
                     "商机评分模型 ({}), 漏斗 {!r}: 每个步骤一个模型"),
    "scorer.resolved": ("resolved deals", "已有结果的商机"),
    "scorer.base": ("step rate", "步骤转化率"),
    "scorer.strongest": ("strongest feature", "最强特征"),
    "scorer.weight": ("weight", "权重"),
    "lag.title": ("Time-lagged plan: {} leads in all, {} of leads win within the lags",
                  "时间滞后计划: 共需 {} 条线索, 线索在滞后期内的赢单率 {}"),
    "lag.lags": ("wins by months after entry: {}", "按进入后月数的赢单概率: {}"),
    "lag.short": ("no non-negative inflow meets every month: short by up to {} wins",
                  "没有非负的线索投入能满足每个月: 最多差 {} 单"),
    "lag.month": ("month", "月份"),
    "lag.leads": ("leads to enter", "需进入线索"),
    "lag.target": ("target wins", "目标赢单"),
    "lag.expected": ("expected wins", "预期赢单"),
    "calib.title": ("Calibration of {:,} predictions: Brier score {}",
                    "{:,} 个预测的校准: Brier 分数 {}"),
    "calib.reference": ("Brier score of the {} probabilities: {}", "{} 概率的 Brier 分数: {}"),
    "calib.bin": ("predicted bin", "预测区间"),
    "calib.predicted": ("mean predicted", "平均预测"),
    "calib.observed": ("observed", "实际比例"),
    "fcat.forecast": ("commit forecast (closed + commit): {}; best case (+ best case): {}",
                      "承诺预测 (已成交 + 承诺): {}; 最佳预测 (再加最佳情况): {}"),
}

#: id -> (English singular, English plural, Chinese measure word and noun)
NOUNS: dict[str, tuple[str, str, str]] = {
    "entity": ("entity", "entities", "个实体"),
    "observation": ("observation", "observations", "个观测"),
}


def counted(n: int, key: str, lang: str = "en") -> str:
    """``n`` things of kind ``key``, with thousands separators.

    Examples
    --------
    >>> counted(1, "entity"), counted(1234, "entity"), counted(3, "entity", "zh")
    ('1 entity', '1,234 entities', '3 个实体')
    """
    one, many, zh = NOUNS[key]
    if lang == "zh":
        return f"{n:,} {zh}"
    return f"{n:,} {one if n == 1 else many}"


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
