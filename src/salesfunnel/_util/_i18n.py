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
    "sem.reached": ("reached", "到达"),
    "sem.entered": ("entered", "进入"),
    "sem.ordered": ("ordered", "按序"),
    "conv.window": (", window ", ", 时间窗 "),
    "conv.bottleneck": ("bottleneck: {} (step rate {})", "瓶颈: {} (转化率 {})"),
    "conv.undefined": ("no entity reached the first stage: rates are undefined",
                       "没有实体到达第一阶段: 比率无定义"),
    "conv.entered": ("entered: step = share of the previous stage's entities also seen "
                     "here; overall = share of all entities",
                     "entered: 环节转化率 = 上一阶段的实体中也出现在本阶段的比例; "
                     "总转化率 = 占全部实体的比例"),
    # -- metrics: funnel modes -----------------------------------------------------------
    "modes.title": ("Funnel ({}) of {}", "漏斗 ({}), {}"),
    "modes.excluded": ("{:,} entities excluded by an exclusion step",
                       "{:,} 个实体因排除步骤被剔除"),
    "modes.total": ("time to convert (first to last step): median {}, mean {}",
                    "转化时间 (首步到末步): 中位数 {}, 均值 {}"),
    # -- metrics: timing and survival ----------------------------------------------------
    "timing.title": ("Timing of {} (durations from the first time at each depth)",
                     "{}的时长 (从首次到达各深度起计)"),
    "surv.title": ("Kaplan-Meier time to {} as of {}: {}, {:,} converted, {:,} right-censored "
                   "(lost: {})",
                   "到达 {} 的 Kaplan-Meier 时间 (截至 {}): {}, {:,} 个转化, {:,} 个右删失 "
                   "(丢单: {})"),
    "time": ("time", "时间"),
    "timing.cycle": ("sales cycle (first -> {})", "销售周期 (首个阶段 -> {})"),
    "unit.d": ("d", "天"),
    "unit.h": ("h", "小时"),
    "unit.min": ("min", "分钟"),
    "unit.s": ("s", "秒"),
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
    "attr.open_value": ("open value", "未结金额"),
    "attr.weighted_value": ("weighted value", "加权金额"),
    "attr.average_won_amount": ("average won amount", "平均赢单金额"),
    "attr.win_rate": ("win rate", "赢单率"),
    "attr.average_cycle": ("average cycle", "平均周期"),
    "attr.velocity": ("sales velocity", "销售速度"),
    "attr.coverage": ("coverage", "覆盖率"),
    "attr.coverage_unweighted": ("unweighted coverage", "未加权覆盖率"),
    "why.no_amount": ("the log has no amount column", "日志没有金额列"),
    "why.unestimated": ("{n} open entities worth {value} at stages without a probability "
                        "({names}) are excluded",
                        "没有概率的阶段 ({names}) 上 {n} 个未结实体 (金额 {value}) 未计入"),
    "why.unestimated1": ("{n} open entity worth {value} at stages without a probability "
                         "({names}) is excluded",
                         "没有概率的阶段 ({names}) 上 {n} 个未结实体 (金额 {value}) 未计入"),
    "why.unpriced": ("{n} open entities without an amount are excluded",
                     "{n} 个没有金额的未结实体未计入"),
    "why.unpriced1": ("{n} open entity without an amount is excluded",
                      "{n} 个没有金额的未结实体未计入"),
    "why.no_won": ("no won entity", "没有赢单实体"),
    "why.no_won_amount": ("no won entity has an amount", "赢单实体都没有金额"),
    "why.no_closed": ("no entity is won or lost", "没有已赢单或丢单的实体"),
    "why.zero_cycle": ("the average cycle is zero", "平均周期为零"),
    "why.no_target": ("no target given", "未给出目标"),
    "why.overflow": ("the amounts add up to more than the largest float (about 1.8e308)",
                     "金额之和超过最大浮点数 (约 1.8e308)"),
    "why.ratio_overflow": ("the target is so small that the ratio exceeds the largest float "
                           "(about 1.8e308)",
                           "目标过小, 比率超过最大浮点数 (约 1.8e308)"),
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
    "markov.never": ("never", "永不"),
    # -- planner: nominal vs observed ----------------------------------------------------
    "nominal": ("nominal", "名义概率"),
    "pp": ("{} pp", "{} 个百分点"),
    "observed": ("observed", "实际赢单率"),
    "nominal.finding": ("your {} stage {!r} wins {} of the time",
                        "名义概率 {} 的阶段 {!r} 实际赢单率为 {}"),
    "nominal.title": ("Nominal vs observed probability of winning ({} or more apart is "
                      "flagged)", "名义概率与实际赢单率 (相差 {} 或以上即提示)"),
    # -- planner: reverse and forward plans ----------------------------------------------
    "plan.reverse": ("Reverse plan: target {} / {} per deal = {} deals",
                     "反推计划: 目标 {} / 每单 {} = {} 个合同"),
    "plan.forward": ("Forward plan: {} entering -> {} deals x {} = {}",
                     "正推计划: {} 进入 -> {} 个合同 x {} = {}"),
    "plan.periods": ("; {} periods", "; {} 期"),
    "plan.rounded": (", rounded up", ", 向上取整"),
    "plan.whole": ("people and deals are shown rounded up to whole numbers (exact values "
                   "in to_dict())", "人数与合同数向上取整显示 (精确值见 to_dict())"),
    "rate": ("rate", "转化率"),
    "total": ("total", "总数"),
    "per period": ("per period", "每期"),
    "source": ("source", "来源"),
    "share": ("share", "占比"),
    "inflow": ("inflow", "客户数"),
    "contacts": ("contacts", "接触数"),
    "plan.capacity": ("capacity: {} touches per period / {} per rep = {} -> {} reps",
                      "产能: 每期 {} 次接触 / 每人 {} = {} -> {} 名销售"),
    "plan.top": ("Target customers", "目标客户"),
    "plan.won": ("Won", "赢单客户"),
    "src.cold_visit": ("Cold visits", "陌生拜访"),
    "src.follow_up": ("Follow-up", "跟踪"),
    "src.penetration": ("Penetration", "渗透"),
    "src.cultivation": ("Cultivation", "耕耘"),
    "src.inbound": ("Inbound enquiries", "主动咨询"),
    "src.referral": ("Referrals", "转介绍"),
    "seg.channel": ("channel", "渠道"),
    # -- planner: levers -----------------------------------------------------------------
    "lever.win_rate": ("Raise the win rate", "提高赢单率"),
    "lever.deal_size": ("Bigger deals", "做大单子"),
    "lever.opportunities": ("More and better opportunities", "寻找更多、更好的机会"),
    "lever.cycle": ("Shorter sales cycle", "缩短销售周期"),
    "lever.head": ("Revenue per period: {} = {} opportunities x {} won x {} / {}-day cycle "
                   "x {} days",
                   "每期收入: {} = {} 个机会 x 赢单率 {} x 每单 {} / 周期 {} 天 x {} 天"),
    "lever": ("lever", "杠杆"),
    "now": ("now", "现值"),
    "improved": ("improved", "改进后"),
    "revenue": ("revenue", "收入"),
    "gain": ("gain", "增加"),
    "required": ("required", "需要"),
    "change": ("change", "变化"),
    "cap": (" (cap)", " (封顶)"),
    "impossible": ("impossible", "不可能"),
    "days.short": ("{} d", "{} 天"),
    "lever.reached": ("Target {} is already reached; each lever could fall to:",
                      "目标 {} 已达到; 各杠杆可降至:"),
    "lever.to_reach": ("To reach {} with one lever alone:", "单独达到目标 {} 所需:"),
    # -- planner: forecast ---------------------------------------------------------------
    "fc.head": ("Forecast: {what} won by {end} ({days} days after {start}), {n} open deals, "
                "{sims} simulations, {prob} probabilities",
                "预测: 截至 {end} 的{what} ({start} 起 {days} 天), {n} 个在途机会, {sims} 次模拟, "
                "{prob}概率"),
    "fc.deals": ("deals", "成交数"),
    "fc.revenue": ("revenue", "收入"),
    "fc.line": ("mean {}  p10 {}  p50 {}  p90 {}", "均值 {}  p10 {}  p50 {}  p90 {}"),
    "fc.p_target": ("P(reaching {}) = {}", "P(达到目标 {}) = {}"),
    "deals": ("deals", "机会数"),
    "fc.amount": ("amount", "金额"),
    "closes in time": ("closes in time", "期内成交"),
    "expected": ("expected", "期望"),
    "fc.prob.nominal": ("nominal", "名义"),
    "fc.prob.observed": ("observed", "实际"),
    "fc.note": ("note: {}", "注: {}"),
    # -- metrics: breakdown --------------------------------------------------------------
    "bd.none": ("(no groups by {!r})", "(没有按 {!r} 的分组)"),
    "kind.open": ("open", "未结"),
    "kind.won": ("won", "赢单"),
    "kind.lost": ("lost", "丢单"),
    "diagram.lose": ("lose", "丢单"),
    "diagram.reenter": ("re-enter", "重新进入"),
    "diagram.open": ("open stages", "未结阶段"),
    # -- charts -------------------------------------------------------------------------
    "chart.funnel": ("Funnel chart", "漏斗图"),
    "chart.of_previous": ("{} of previous", "占上一阶段 {}"),
    "chart.of_first": ("{} of first", "占第一阶段 {}"),
    # -- reports --------------------------------------------------------------------------
    "rep.generated": ("Generated by", "生成工具:"),
    "rep.intro": ("{} events of {} deals in funnel {!r}.", "漏斗 {2!r} 中 {1} "
                                                           "个实体的 {0} 条事件。"),
    "rep.demo_title": ("salesfunnel demo: "
                       "a year of B2B deals", "salesfunnel 演示: 一年的 B2B 商机"),
    "rep.demo_intro": ("{deals} B2B deals entered the '{funnel}' funnel during 2026 (seed "
                       "{seed}), observed on {end}: {events} events, {won} won, {lost} lost, "
                       "{open} still open.",
                       "2026 年共有 {deals} 个 B2B 商机进入漏斗 '{funnel}' (随机种子 {seed}), "
                       "截至 {end}: {events} 条事件, {won} "
                       "个赢单, {lost} 个丢单, {open} 个仍在跟进。"),
    "rep.funnel": ("Funnel", "销售漏斗"),
    "rep.conv_explain": ("Each bar is the number of deals that reached the stage. Step rate: "
                         "the share of the previous stage's deals that got this far; overall: "
                         "the share of all deals. The interval is a {} Wilson interval for "
                         "the step rate. The bottleneck is the step with the lowest step rate.",
                         "每一条表示到达该阶段的商机数。环节转化率:"
                         " 上一阶段的商机中到达本阶段的比例; "
                         "累计: 占全部商机的比例。区间为环节转化率的 {} Wilson 置信区间。"
                         "瓶颈是环节转化率最低的一步。"),
    "rep.by": ("Funnel by {}", "按{}拆分的漏斗"),
    "rep.by_explain": ("One funnel per group, side by side, each scaled to its own first "
                       "stage: compare the shapes, not the sizes.",
                       "每组一个漏斗, 并排显示, 各自以第一阶段为满宽: 比较形状, 而不是大小。"),
    "rep.timing": ("Time between stages", "阶段间隔时间"),
    "rep.timing_explain": ("Days from first reaching a stage to first reaching the next, for "
                           "deals that made the step; the dashed line marks the median. p10 "
                           "and p90: one deal in ten is faster, one in ten slower.",
                           "从首次到达一个阶段到首次到达下一阶段的天数 (只计完成该步的商机); "
                           "虚线为中位数。p10 和 p90: 十个商机中有一个更快、一个更慢。"),
    "rep.days": ("days", "天数"),
    "rep.median_days": ("median {:,.1f} d", "中位数 {:,.1f} 天"),
    "rep.pipeline": ("Open pipeline", "在途管道"),
    "rep.by_forecast_category": ("Open pipeline by forecast category", "按预测类别的在途管道"),
    "rep.pipe_explain": ("Open deals by current stage, coloured by days since they entered "
                         "it. Weighted value = amount x the stage's nominal probability of "
                         "winning; stages without a probability are left out of it.",
                         "按当前阶段统计的在途商机, 颜色表示进入该阶段后的天数。加权金额 = 金额 x "
                         "该阶段的名义赢单概率; 没有概率的阶段不计入加权金额。"),
    "rep.age_range": ("{}–{} days", "{}–{} 天"),
    "rep.tables": ("Tables", "明细表"),
    "rep.age_over": ("{}+ days", "{} 天以上"),
    "rep.plan": ("Reverse plan for {} next year", "明年 {} 目标的反推计划"),
    "rep.plan_line": ("At this year's rates, {} at {} per deal needs {} deals and {} new "
                      "prospects a year ({} a month).",
                      "按今年的转化率, 以每单 {1} 实现 {0} "
                      "需要 {2} 个合同和每年 {3} 个新的目标客户 "
                      "(每月 {4} 个)。"),
    "rep.plan_explain": ("Worked back from the target with this year's step rates: deals = "
                         "target / deal size, and each stage needs the next one's count "
                         "divided by its step rate. People and deals are rounded up to whole "
                         "numbers.",
                         "用今年的环节转化率从目标倒推: 合同数 = "
                         "目标 / 单均金额, 每个阶段需要的人数 "
                         "= 下一阶段人数 / 该步转化率。人数和合同数向上取整。"),
    "rep.levers": ("The four levers", "提高产能的四个杠杆"),
    "rep.levers_explain": ("Revenue per period = opportunities x win rate x deal size / "
                           "cycle length. Each bar improves one lever alone by {} (a "
                           "shorter cycle for the cycle); the second table gives the value "
                           "each lever alone would need to reach the monthly target.",
                           "每期收入 = 机会数 x 赢单率 x 单均金额 "
                           "/ 销售周期。每一条只把一个杠杆改进 {} "
                           "(周期则缩短); 第二张表给出单靠一个杠杆达到月度目标所需的值。"),
    "rep.markov": ("Win probability by stage: nominal vs observed",
                   "各阶段赢单概率: 名义与实际"),
    "rep.markov_explain": ("Nominal: the probability written in the funnel definition. "
                           "Observed: the chance that a deal at the stage went on to win, "
                           "from a Markov chain fitted to the events. Gaps of {} or more are "
                           "listed under the table.",
                           "名义概率: 漏斗定义中写的概率。实际赢单率:"
                           " 处于该阶段的商机最终赢单的机会, "
                           "由拟合事件的马尔可夫链算出。相差 {} 或以上的阶段列在表下。"),
    "rep.forecast": ("Forecast of the open pipeline ({} days)", "在途管道预测 ({} 天)"),
    "rep.drivers": ("What drives winning", "赢单驱动因素"),
    "rep.drivers_explain": ("Channels and other segment values over- or under-represented "
                            "among the deals that won, against those that did not: odds "
                            "ratio with its interval, p-values adjusted for the number of "
                            "values tested (Benjamini-Hochberg).",
                            "在赢单商机中比例偏高或偏低的渠道等分群取值 (与未赢单的商机相比): "
                            "优势比及其区间, p 值已按检验个数校正 (Benjamini-Hochberg)。"),
    "rep.stale": ("Stale deals", "停滞商机"),
    "rep.stale_explain": ("Open deals that have been in their stage longer than its "
                          "threshold (here twice the usual days in that stage), most "
                          "overdue first.",
                          "在当前阶段停留超过该阶段时限 (此处为通常天数的两倍) 的未结商机, "
                          "超期最久的在前。"),
    "rep.fc_explain": ("Each simulation plays every open deal forward with the observed "
                       "probabilities and times; the chart shows the won revenue of all "
                       "simulations. p10/p50/p90: 10%, 50%, 90% of simulations won less. "
                       "P(target) is the share of simulations that reach the target "
                       "(the dashed line).",
                       "每次模拟按实际概率和时长推演每个在途商机; 图为所有模拟的赢单收入分布。"
                       "p10/p50/p90: 有 10%、50%、90% 的模拟赢得更少。P(目标) 是达到目标 (虚线) "
                       "的模拟所占比例。"),
    "rep.fc_x": ("won revenue in the horizon", "期内赢单收入"),
    "rep.target_marker": ("target {}: P = {}", "目标 {}: P = {}"),
    "rep.s_entered": ("Deals entered", "进入漏斗的商机"),
    "rep.s_won": ("Won", "赢单"),
    "rep.s_lost": ("{} lost", "丢单 {}"),
    "rep.s_win_rate": ("Win rate", "赢单率"),
    "rep.s_closed": ("of closed deals", "已结商机中"),
    "rep.s_open": ("Open deals", "在途商机"),
    "rep.s_weighted": ("weighted value {}", "加权金额 {}"),
    "rep.s_deal": ("Average won deal", "平均赢单金额"),
    "rep.s_cycle": ("Average sales cycle", "平均销售周期"),
    "rep.s_neck": ("Bottleneck", "瓶颈"),
    "rep.s_neck_rate": ("step rate {}", "环节转化率 {}"),
    "rep.s_p_target": ("P(target)", "P(达到目标)"),
    "rep.s_p_target_hint": ("{} within {} days", "{1} 天内达到 {0}"),
    "rep.s_plan": ("New prospects a month", "每月需要的新目标客户"),
    "rep.s_plan_hint": ("for {} next year", "明年目标 {}"),
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
    "corr.title": ("Drivers of conversion {!r} -> {!r}: {:,} converters vs {:,} drop-offs",
                   "转化驱动因素 {!r} -> {!r}: {:,} 个转化, {:,} 个流失"),
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
