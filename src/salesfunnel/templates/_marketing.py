"""Marketing funnels: ``aida``, ``aidma``, ``aida-loyalty``, ``tofu-mofu-bofu``, ``influence``.

Where each model comes from (the Chinese articles of the source material):

``aida``
    Awareness, Interest, Desire, Action: designed by the American advertising advocate
    E. St. Elmo Lewis in 1898 and drawn as a funnel for bond salesmen by William W.
    Townsend in 1924 (*Bond Salesman*, p. 109), as told by the article
    "B2B销售漏斗:它是什么,如何建立一个?". The recommended actions are those of the
    courseware 《漏斗式销售模型》 (意识, 兴趣, 决策, 行动), whose third stage, decision,
    is the AIDA desire stage ("消费者已进入决策过程").
``aidma``
    Attention, Interest, Desire, Memory, Action, the consumer-psychology model the
    purchase funnel grew out of (纷享销客 CRM, "什么是销售漏斗"); usually attributed
    to Samuel Roland Hall (1924). Actions follow that article's TOFU (attention) and
    MOFU (interest, desire, memory) advice.
``aida-loyalty``
    The five-layer marketing funnel ("营销漏斗模型五层结构"): 引入层 awareness, 关注层
    interest, 意愿层 desire, 行动层 action, 忠诚度层 loyalty.
``tofu-mofu-bofu``
    The purchase funnel (购买漏斗) of 纷享销客 CRM in three parts, top, middle and bottom
    of the funnel, with that article's mapping to AIDMA: TOFU = Attention; MOFU =
    Interest, Desire, Memory; BOFU = the customers about to buy, comparing where to buy;
    the purchase itself (AIDMA's Action) is the WON stage.
``influence``
    The influence funnel (影响漏斗) of the same article: what happens after a purchase,
    continue -> favour -> share/refer -> spread. Counts may grow from stage to stage
    because customers bring new customers, hence ``expanding=True``.

Which stage is WON: the last stage of the source's sequence, the state the model is
built to reach. The five-layer funnel continues past the purchase, so there the
action layer (where the purchase happens) is the last open stage, the loyalty layer is
WON (a customer who has bought), and repeat purchases loop back to the action layer
(``reentry="action"``), like the loyalty loop of the consumer decision journey.
Owners are set only where an article names one: the salesperson (销售人员) of MOFU and
BOFU, so also of AIDMA's interest, desire and memory.
"""

from __future__ import annotations

from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import Stage
from salesfunnel.templates._sales import SALESPERSON

__all__ = ["TEMPLATES", "aida", "aida_loyalty", "aidma", "influence", "tofu_mofu_bofu"]


def aida() -> Funnel:
    """AIDA (Lewis, 1898): awareness, interest, desire, action; a LOST stage."""
    return Funnel(
        "aida",
        [
            Stage(
                "awareness",
                label={"en": "Awareness", "zh": "意识"},
                description={
                    "en": "The consumer becomes aware of a need and is ready to use a product "
                    "or service to meet it.",
                    "zh": "消费者了解需要,并准备使用产品或服务来解决它。",
                },
                actions=(
                    {
                        "en": "Attract prospects and lead them to take an interest in the "
                        "product or service",
                        "zh": "吸引潜在客户并引导他们对你的产品或服务的兴趣",
                    },
                    {"en": "Raise brand awareness with marketing campaigns and advertising",
                     "zh": "使用营销活动和广告提高品牌知名度"},
                ),
            ),
            Stage(
                "interest",
                label={"en": "Interest", "zh": "兴趣"},
                description={
                    "en": "The consumer engages with information, looking for a way to meet "
                    "the need.",
                    "zh": "消费者接触相关信息,寻求满足需求。",
                },
                actions=(
                    {
                        "en": "Build the customer's interest and give more information about the "
                        "product or service",
                        "zh": "建立客户的兴趣并提供有关产品或服务的更多信息",
                    },
                    {"en": "Offer valuable content and build trust",
                     "zh": "提供有价值的内容,建立信任关系"},
                ),
            ),
            Stage(
                "desire",
                label={"en": "Desire", "zh": "欲望"},
                description={
                    "en": "The consumer has entered the decision process.",
                    "zh": "消费者已进入决策过程。",
                },
                actions=(
                    {"en": "Help the customer make the purchase decision and resolve their doubts",
                     "zh": "帮助客户做出购买决策并解决他们的疑虑"},
                    {
                        "en": "Give personalised advice and solutions, answer the customer's "
                        "questions",
                        "zh": "提供个性化的建议和解决方案,回答客户的问题",
                    },
                ),
            ),
            Stage(
                "action",
                label={"en": "Action", "zh": "行动"},
                kind="won",
                description={
                    "en": "The customer decides to buy and completes the purchase.",
                    "zh": "客户决定购买该产品并完成交易。",
                },
                actions=(
                    {"en": "Prompt the customer to act and complete the transaction",
                     "zh": "促使客户采取购买行动并完成交易"},
                    {"en": "Simplify the purchase and offer incentives such as discounts or gifts",
                     "zh": "简化购买流程,提供激励措施,如折扣或赠品"},
                ),
            ),
            Stage(
                "lost",
                label={"en": "Did not buy", "zh": "未购买"},
                kind="lost",
                description={
                    "en": "The customer decides not to buy.",
                    "zh": "客户决定不购买该产品。",
                },
            ),
        ],
        label={"en": "AIDA", "zh": "AIDA 模型"},
        description={
            "en": "AIDA: Awareness, Interest, Desire, Action. Designed by the American "
            "advertising advocate E. St. Elmo Lewis in 1898; William W. Townsend drew it as a "
            "sales funnel for bond salesmen in 1924 (Bond Salesman, p. 109). Stage texts "
            "from the article 'B2B销售漏斗:它是什么,如何建立一个?', actions from the "
            "courseware 《漏斗式销售模型》.",
            "zh": "AIDA 模型:意识、兴趣、欲望、行动。由美国广告倡导者 E. St. Elmo Lewis 于 "
            "1898 年设计;1924 年 William W. Townsend 将其用作债券推销的漏斗(《Bond "
            "Salesman》第 109 页)。阶段说明来自《B2B销售漏斗:它是什么,如何建立一个?》,"
            "销售动作来自《漏斗式销售模型》课件。",
        },
    )


def aidma() -> Funnel:
    """AIDMA: attention, interest, desire, memory, action; a LOST stage."""
    return Funnel(
        "aidma",
        [
            Stage(
                "attention",
                label={"en": "Attention", "zh": "注意"},
                description={
                    "en": "Prospects who know little about the product or service and are not "
                    "very interested yet (the top of the funnel, TOFU).",
                    "zh": "潜在客户对产品或服务还不太了解,也不是很感兴趣(漏斗顶部 TOFU)。",
                },
                actions=(
                    {
                        "en": "Provide information that sparks interest: website content, SEO, "
                        "social networks, e-mail newsletters, web ads, press releases",
                        "zh": "在企业首页上发布能引起客户兴趣的内容,实施SEO对策,在社交网络上发布"
                        "信息,发送电子杂志和邮件,网页广告,新闻发布",
                    },
                ),
            ),
            Stage(
                "interest",
                label={"en": "Interest", "zh": "兴趣"},
                owner=SALESPERSON,
                description={
                    "en": "Interested in the product or service, without a decisive reason to "
                    "buy yet (middle of the funnel, MOFU).",
                    "zh": "对商品或服务有兴趣,但还没有产生购买行为的决定性因素(漏斗中部 MOFU)。",
                },
                actions=(
                    {"en": "Offer valuable information that matches their interests",
                     "zh": "针对他们的兴趣点,提供有价值的信息"},
                    {"en": "Learn the customer's needs and deeper information",
                     "zh": "获取客户的需求和深层次的信息"},
                ),
            ),
            Stage(
                "desire",
                label={"en": "Desire", "zh": "欲望"},
                description={
                    "en": "The customer wants the product; the desire to buy is raised (MOFU).",
                    "zh": "客户产生期望,购买欲望被提高(漏斗中部 MOFU)。",
                },
                owner=SALESPERSON,
                actions=(
                    {"en": "Raise the desire to buy in direct conversation",
                     "zh": "通过直接对话的方式提高客户的购买欲望"},
                    {"en": "Provide personalised information that motivates the purchase",
                     "zh": "提供个性化信息引起客户的购买动机"},
                ),
            ),
            Stage(
                "memory",
                label={"en": "Memory", "zh": "记忆"},
                owner=SALESPERSON,
                description={
                    "en": "The customer remembers the product until the moment to buy (MOFU).",
                    "zh": "客户记住产品,直到购买的时机(漏斗中部 MOFU)。",
                },
                actions=(
                    {"en": "Keep in regular contact with the customer and hold seminars",
                     "zh": "定期与客户交流,举办研讨会"},
                ),
            ),
            Stage(
                "action",
                label={"en": "Action", "zh": "行动"},
                kind="won",
                description={"en": "The customer buys.", "zh": "客户完成购买。"},
                actions=(
                    {
                        "en": "Agree on how the customer will buy and present after-sales "
                        "service and other added value",
                        "zh": "与客户沟通明确购买方式,向客户介绍售后服务等附加价值信息",
                    },
                ),
            ),
            Stage(
                "lost",
                label={"en": "Did not buy", "zh": "未购买"},
                kind="lost",
                description={"en": "The customer does not buy.", "zh": "客户没有购买。"},
            ),
        ],
        label={"en": "AIDMA", "zh": "AIDMA 模型"},
        description={
            "en": "AIDMA: Attention, Interest, Desire, Memory, Action, a consumer-psychology "
            "model the purchase funnel grew out of (纷享销客 CRM, '什么是销售漏斗'); usually "
            "attributed to Samuel Roland Hall (1924). Actions follow that article's TOFU and "
            "MOFU advice.",
            "zh": "AIDMA 模型:注意、兴趣、欲望、记忆、行动,用来解释消费心理过程的消费行为学"
            "理论模型,购买漏斗由其发展而来(纷享销客 CRM《什么是销售漏斗》);一般认为由 "
            "Samuel Roland Hall 于 1924 年提出。销售动作依据该文对 TOFU、MOFU 阶段的建议。",
        },
    )


def aida_loyalty() -> Funnel:
    """The five-layer marketing funnel: AIDA plus loyalty, with repeat purchases."""
    return Funnel(
        "aida-loyalty",
        [
            Stage(
                "awareness",
                label={"en": "Awareness", "zh": "引入层"},
                description={
                    "en": "How far consumers know the product or brand.",
                    "zh": "消费者对产品或品牌的知晓程度。",
                },
                actions=(
                    {"en": "Advertising, public relations and social media raise brand awareness",
                     "zh": "宣传广告、公关活动、社交媒体宣传等方式可以提高消费者对品牌的知晓度"},
                ),
            ),
            Stage(
                "interest",
                label={"en": "Interest", "zh": "关注层"},
                description={
                    "en": "Consumers become interested in the product or brand.",
                    "zh": "消费者对产品或品牌产生兴趣。",
                },
                actions=(
                    {"en": "Provide useful information or content to raise interest",
                     "zh": "通过提供有用的信息或内容,引起消费者的兴趣"},
                ),
            ),
            Stage(
                "desire",
                label={"en": "Desire", "zh": "意愿层"},
                description={
                    "en": "Consumers want to buy the product.",
                    "zh": "消费者对产品或品牌产生欲望购买的意愿。",
                },
                actions=(
                    {
                        "en": "Show the product's features and advantages so buying feels "
                        "necessary and desirable",
                        "zh": "通过展示产品的特点和优点,让消费者感到购买必要和愿望",
                    },
                ),
            ),
            Stage(
                "action",
                label={"en": "Action", "zh": "行动层"},
                description={
                    "en": "Consumers buy the product or use the service; loyal customers come "
                    "back here for repeat purchases.",
                    "zh": "消费者购买产品或使用服务的阶段;忠诚客户重复购买时回到此层。",
                },
                actions=(
                    {
                        "en": "Offer convenient ways to buy to help the decision and complete "
                        "the purchase",
                        "zh": "提供方便的购买方式,以促进消费者的决策和完成购买的行动",
                    },
                ),
            ),
            Stage(
                "loyalty",
                label={"en": "Loyalty", "zh": "忠诚度层"},
                kind="won",
                description={
                    "en": "Customers who have bought; their satisfaction and loyalty are "
                    "assessed here.",
                    "zh": "已购买的客户;评估消费者满意度和忠诚度。",
                },
                actions=(
                    {
                        "en": "Meet the customer's needs, provide attentive customer service and "
                        "encourage repeat purchases and loyalty",
                        "zh": "满足消费者的需求,提供集中的客户服务,鼓励重复购买和忠诚度",
                    },
                ),
            ),
            Stage(
                "lost",
                label={"en": "Did not buy", "zh": "未购买"},
                kind="lost",
                description={"en": "The consumer does not buy.", "zh": "消费者没有购买。"},
            ),
        ],
        reentry="action",
        label={"en": "Five-layer marketing funnel (AIDA + loyalty)",
               "zh": "营销漏斗模型五层结构"},
        description={
            "en": "The five-layer marketing funnel: awareness, interest, desire, action, "
            "loyalty ('营销漏斗模型五层结构内容'). The loyalty layer is the WON stage (a "
            "customer who has bought); repeat purchases re-enter at the action layer.",
            "zh": "营销漏斗模型五层结构:引入层、关注层、意愿层、行动层、忠诚度层。忠诚度层为"
            "赢单阶段(已购买的客户);重复购买时回到行动层。",
        },
    )


def tofu_mofu_bofu() -> Funnel:
    """The purchase funnel in three parts (TOFU, MOFU, BOFU), then the purchase."""
    return Funnel(
        "tofu-mofu-bofu",
        [
            Stage(
                "tofu",
                label={"en": "Top of the funnel (TOFU)", "zh": "漏斗顶部(TOFU)"},
                description={
                    "en": "The pool of leads, in AIDMA's Attention stage: they know little "
                    "about the product and are not very interested; pushing a sale here "
                    "rarely works.",
                    "zh": "线索群,处于 AIDMA 模型的 Attention(吸引注意力)阶段:对产品或服务"
                    "还不太了解,也不是很感兴趣,很难期待完成交易。",
                },
                actions=(
                    {
                        "en": "Make them aware and interested with introductory content such as "
                        "ads and posts",
                        "zh": "利用广告、推文等介绍性内容来提高认知",
                    },
                    {
                        "en": "Website content, SEO, social networks, e-mail newsletters, web "
                        "ads and press releases",
                        "zh": "企业首页内容、SEO对策、社交网络、电子杂志和邮件、网页广告、新闻发"
                        "布",
                    },
                ),
            ),
            Stage(
                "mofu",
                label={"en": "Middle of the funnel (MOFU)", "zh": "漏斗中部(MOFU)"},
                description={
                    "en": "AIDMA's Interest, Desire and Memory: interested, but without a "
                    "decisive reason to buy yet.",
                    "zh": "处于 AIDMA 模型的 Interest(感兴趣)、Desire(期望)、Memory(记忆)"
                    "阶段:对商品或服务有兴趣,但还没有产生购买行为的决定性因素。",
                },
                owner=SALESPERSON,
                actions=(
                    {"en": "Keep in regular contact and learn the customer's needs in depth",
                     "zh": "定期与客户交流、获取客户的需求和深层次的信息"},
                    {
                        "en": "Provide personalised information that motivates the purchase and "
                        "hold seminars",
                        "zh": "提供个性化信息引起客户的购买动机,举办研讨会",
                    },
                    {"en": "Raise the desire to buy in direct conversation",
                     "zh": "通过直接对话的方式提高客户的购买欲望"},
                ),
            ),
            Stage(
                "bofu",
                label={"en": "Bottom of the funnel (BOFU)", "zh": "漏斗底部(BOFU)"},
                description={
                    "en": "Customers about to buy: they actively compare offers and are "
                    "deciding where to buy.",
                    "zh": "马上就会产生购买行为的客户群:积极收集信息并进行比较讨论,在商讨从"
                    "哪里购买。",
                },
                owner=SALESPERSON,
                actions=(
                    {"en": "Case studies, sales calls, consultations and demos",
                     "zh": "产品的案例研究内容、销售人员的电话沟通、咨询和演示"},
                    {
                        "en": "Provide detailed material for comparison with other vendors, "
                        "agree on how to buy, present after-sales service",
                        "zh": "提供详细资料便于与其他公司的服务进行比较参照,沟通明确购买方式,介绍"
                        "售后服务等附加价值信息",
                    },
                ),
            ),
            Stage(
                "purchase",
                label={"en": "Purchase", "zh": "购买"},
                kind="won",
                description={
                    "en": "The customer buys (AIDMA's Action).",
                    "zh": "客户完成购买(AIDMA 模型的 Action 行动)。",
                },
            ),
            Stage(
                "lost",
                label={"en": "Did not buy", "zh": "未购买"},
                kind="lost",
                description={"en": "The customer does not buy.", "zh": "客户没有购买。"},
            ),
        ],
        label={"en": "TOFU / MOFU / BOFU purchase funnel", "zh": "购买漏斗(TOFU/MOFU/BOFU)"},
        description={
            "en": "The purchase funnel in three parts, top (TOFU), middle (MOFU) and bottom "
            "(BOFU) of the funnel, mapped to AIDMA: TOFU = Attention; MOFU = Interest, "
            "Desire, Memory; BOFU = about to buy; the purchase (Action) is the WON stage. "
            "Source: 纷享销客 CRM, '什么是销售漏斗'.",
            "zh": "购买漏斗分为漏斗顶部(TOFU)、漏斗中部(MOFU)、漏斗底部(BOFU)三个阶段,"
            "对应 AIDMA 模型:TOFU = Attention;MOFU = Interest、Desire、Memory;BOFU = "
            "即将购买;购买(Action)为赢单阶段。来源:纷享销客 CRM《什么是销售漏斗》。",
        },
    )


def influence() -> Funnel:
    """The influence funnel: continue, favour, share/refer, spread (expanding)."""
    return Funnel(
        "influence",
        [
            Stage(
                "continue",
                label={"en": "Continue", "zh": "延续"},
                description={
                    "en": "The customer keeps using the product or service after buying.",
                    "zh": "客户购买后继续使用产品或服务。",
                },
                actions=(
                    {"en": "Make sure the customer is satisfied with the product itself",
                     "zh": "让客户对产品本身满意"},
                ),
            ),
            Stage(
                "favour",
                label={"en": "Favour", "zh": "青睐"},
                description={
                    "en": "The customer comes to favour the product or brand.",
                    "zh": "客户青睐该产品或品牌。",
                },
                actions=(
                    {"en": "Decide what impression we want customers to have of the product",
                     "zh": "考虑我们希望客户对产品有什么样的印象"},
                    {"en": "Let customers experience the product through samples and demos",
                     "zh": "通过试用品、演示等方式让顾客体验商品"},
                ),
            ),
            Stage(
                "share-refer",
                label={"en": "Share / refer", "zh": "分享/介绍"},
                description={
                    "en": "The customer shares reviews (B2C) or introduces the product to "
                    "close partners and affiliates (B2B).",
                    "zh": "客户分享评价(BtoC),或向关系亲密的合作伙伴或关联企业介绍商品或服务"
                    "(BtoB)。",
                },
                actions=(
                    {"en": "Plan how we want customers to introduce the product to others",
                     "zh": "铺垫我们希望客户如何向他人介绍我们的产品"},
                    {"en": "Encourage users to post about their experience on social networks",
                     "zh": "引导用户在社交网络上发布信息"},
                ),
            ),
            Stage(
                "spread",
                label={"en": "Spread", "zh": "传播"},
                kind="won",
                description={
                    "en": "Word of mouth spreads and brings new customers.",
                    "zh": "口碑得到传播,客户创造出新的客户。",
                },
                actions=(
                    {
                        "en": "B2B: publish interviews about successful cases so that similar "
                        "businesses become interested",
                        "zh": "对成功案例的采访报道",
                    },
                ),
            ),
            Stage(
                "lapsed",
                label={"en": "Lapsed", "zh": "流失"},
                kind="lost",
                description={
                    "en": "The customer stops using the product; no word of mouth follows.",
                    "zh": "客户不再使用产品,没有形成口碑。",
                },
            ),
        ],
        expanding=True,
        label={"en": "Influence funnel", "zh": "影响漏斗"},
        description={
            "en": "The influence funnel charts what happens after a purchase: continue, "
            "favour, share/refer, spread. Unlike the purchase funnel its counts may grow "
            "from stage to stage, because customers create new customers. 75.9 % of "
            "respondents aged 18 to 69 said they consult online word of mouth (Cross "
            "Marketing survey). Source: 纷享销客 CRM, '什么是销售漏斗'.",
            "zh": "影响漏斗将顾客购买后的流程图示化,经历“延续→青睐→分享/介绍→传播”的阶段;"
            "与购买漏斗不同,其数量会随着阶段的发展而增加,客户也会创造出新的客户。"
            "Cross Marketing 调查显示 75.9% 的受访者会参考互联网上的口碑信息。"
            "来源:纷享销客 CRM《什么是销售漏斗》。",
        },
    )


TEMPLATES = {
    "aida": aida,
    "aidma": aidma,
    "aida-loyalty": aida_loyalty,
    "tofu-mofu-bofu": tofu_mofu_bofu,
    "influence": influence,
}
"""The templates of this family, by name."""
