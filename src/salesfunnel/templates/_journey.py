"""The consumer decision journey: ``decision-journey`` (McKinsey, 2009), with the loyalty loop.

David Court and three co-authors described the "consumer decision journey" (CDJ) in
*McKinsey Quarterly*, June 2009, from the purchase decisions of almost 20,000 consumers
in five industries on three continents (as told by the article "B2B销售漏斗:它是什么,
如何建立一个?"). The journey is a loop of four parts: initial consideration, active
evaluation, the moment of purchase, and the post-purchase experience (enjoy, advocate,
bond); when the bond is strong enough, the customer enters a loyalty loop that skips
consideration and evaluation and goes straight back to buying.

How the loop fits the model (open stages, one WON stage, then LOST stages; a WON deal
may re-enter at an *open* stage):

- ``consider``, ``evaluate`` and ``buy`` are open. The moment of purchase is open
  because the choice is still being made there: placement, packaging, availability,
  pricing and the sales interaction are evaluated at that point, and a brand can still
  lose the sale (``lost``).
- ``enjoy-advocate-bond``, the post-purchase experience, is the WON stage: a deal there
  has bought. Its win probability is 1, which is true of every customer who bought,
  whether or not the bond grows strong.
- ``reentry="buy"`` is the loyalty loop: a bonded customer re-enters at the moment of
  purchase, skipping consideration and evaluation, exactly as in the CDJ.

The other reading, ``buy`` as the WON stage and the post-purchase experience left out,
could not express the loop at all: a re-entry point must be an open stage and the loop
ends at the purchase, so the loop would have to restart at consideration, which is the
very thing the CDJ says loyal customers skip.
"""

from __future__ import annotations

from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import Stage

__all__ = ["TEMPLATES", "decision_journey"]


def decision_journey() -> Funnel:
    """The consumer decision journey with its loyalty loop (``reentry="buy"``)."""
    return Funnel(
        "decision-journey",
        [
            Stage(
                "consider",
                label={"en": "Initial consideration", "zh": "初始考虑"},
                description={
                    "en": "The consumer considers an initial set of brands, based on brand "
                    "perceptions and recent touchpoints: social media and blog posts, advice "
                    "on review sites such as G2 Crowd and Capterra, cold and referral e-mails.",
                    "zh": "消费者根据品牌认知和最近的接触点考虑最初的一组品牌:社交媒体帖子、"
                    "博客帖子、G2 Crowd、Capterra 等评论网站上的建议、冷邮件、推荐邮件等。",
                },
                actions=(
                    {"en": "Prioritise the main touchpoints and find ways to use them",
                     "zh": "确定主要接触点的优先级,找到利用它们的方法"},
                    {
                        "en": "Learn which channels customers use to research products and what "
                        "they share there",
                        "zh": "找出他们使用哪些渠道来研究产品,以及喜欢在这些渠道中分享什么",
                    },
                ),
            ),
            Stage(
                "evaluate",
                label={"en": "Active evaluation", "zh": "主动评估"},
                description={
                    "en": "The consumer adds or drops brands while evaluating what they want: "
                    "talks to peers, reads reviews, keeps the few brands that meet the "
                    "purchase criteria.",
                    "zh": "消费者在评估需求时增加或减少品牌:与同行讨论、阅读评论,最终选择少数"
                    "符合购买标准的品牌。",
                },
                actions=(
                    {
                        "en": "Actively distribute positive third-party reviews across "
                        "traditional and social media",
                        "zh": "积极分发跨越传统以及社交媒体的积极的第三方评论",
                    },
                    {
                        "en": "Be present on review sites and social media where the brand is "
                        "discussed",
                        "zh": "评论网站、社交媒体等直接或间接与品牌接触的地方",
                    },
                ),
            ),
            Stage(
                "buy",
                label={"en": "Moment of purchase", "zh": "购买时刻"},
                description={
                    "en": "The consumer selects a brand at the moment of purchase, judging "
                    "positioning, packaging, availability, pricing and the sales "
                    "interaction: the most powerful and subtle touchpoint. Loyal customers "
                    "come back here directly (the loyalty loop).",
                    "zh": "消费者在购买的时候选择一个品牌,探索和评估产品和服务的定位、包装、"
                    "可用性、定价和销售互动:最有力和最微妙的触点。忠诚客户直接回到此阶段"
                    "(忠诚循环)。",
                },
                actions=(
                    {
                        "en": "Get positioning, packaging, availability, pricing and the sales "
                        "interaction right",
                        "zh": "产品和服务的定位、包装、可用性、定价和销售互动",
                    },
                ),
            ),
            Stage(
                "enjoy-advocate-bond",
                label={"en": "Enjoy, advocate, bond", "zh": "享受、倡导、联结"},
                kind="won",
                description={
                    "en": "After buying, the customer builds a deeper relationship: a happy "
                    "customer spreads the word and becomes an advocate; a disappointed one "
                    "may cut ties. A strong bond leads into the loyalty loop.",
                    "zh": "购买后客户与品牌建立更深层次的关系:满意的客户通过口碑宣传成为品牌"
                    "倡导者;失望的客户可能切断关系。关系足够牢固时进入忠诚循环。",
                },
                actions=(
                    {
                        "en": "Build a lasting post-purchase relationship and encourage brand "
                        "advocacy",
                        "zh": "建立持续的购买后的关系,并鼓励品牌倡导",
                    },
                    {"en": "Plan community and social initiatives that build credibility",
                     "zh": "制定社区和社会倡议计划,建立信誉"},
                ),
            ),
            Stage(
                "lost",
                label={"en": "Chose another brand", "zh": "选择了其他品牌"},
                kind="lost",
                description={
                    "en": "The brand was dropped from consideration, or another brand was "
                    "bought.",
                    "zh": "品牌在考虑或评估中被淘汰,或消费者购买了其他品牌。",
                },
            ),
        ],
        reentry="buy",
        label={"en": "Consumer decision journey", "zh": "消费者决策之旅"},
        description={
            "en": "The consumer decision journey (CDJ) of David Court et al., McKinsey "
            "Quarterly, June 2009, from almost 20,000 consumers in five industries on three "
            "continents: initial consideration, active evaluation, moment of purchase, "
            "post-purchase experience (the WON stage). Bonded customers re-enter at the "
            "moment of purchase, skipping consideration and evaluation (the loyalty loop).",
            "zh": "消费者决策之旅(CDJ):David Court 等,《麦肯锡季刊》2009 年 6 月,基于五个"
            "行业、三大洲近 20,000 名消费者的购买决策:初始考虑、主动评估、购买时刻、购买后"
            "体验(赢单阶段)。关系牢固的客户跳过考虑和评估,直接回到购买时刻(忠诚循环)。",
        },
    )


TEMPLATES = {"decision-journey": decision_journey}
"""The templates of this family, by name."""
