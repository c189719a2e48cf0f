"""The product operations funnel: ``product-operations`` (acquisition to paying users).

From the article "产品运营分析的万金油——漏斗模型" (the funnel model, the all-purpose tool of
product operations analysis): user acquisition, the widest part of the funnel;
registration and activation; user experience and retention; and finally conversion into
paying users. Each stage has its key metrics (click-through rate and visits;
registration conversion and time to activation; retention rate and activity), which the
stage descriptions keep. Conversion into paying users is the WON stage; users who leave
are ``churned``. The article names no owner; its remedies (simplify registration, add
incentives, improve features, increase stickiness) are the recommended actions.
"""

from __future__ import annotations

from salesfunnel.model._funnel import Funnel
from salesfunnel.model._stage import Stage

__all__ = ["TEMPLATES", "product_operations"]


def product_operations() -> Funnel:
    """Acquisition, activation, retention, paying; churned users are lost."""
    return Funnel(
        "product-operations",
        [
            Stage(
                "acquisition",
                label={"en": "User acquisition", "zh": "用户获取"},
                description={
                    "en": "The widest part of the funnel: win as many potential users as "
                    "possible through every channel. Key metrics: click-through rate and "
                    "visits.",
                    "zh": "漏斗最宽处:通过各种渠道获取尽量多的潜在用户。关键指标:点击率和访问量。",
                },
                actions=(
                    {"en": "Advertising, social media promotion and search engine optimisation",
                     "zh": "广告、社交媒体宣传、引擎优化"},
                ),
            ),
            Stage(
                "activation",
                label={"en": "Registration and activation", "zh": "注册与激活"},
                description={
                    "en": "Users register and complete basic set-up, showing further interest. "
                    "Key metrics: registration conversion rate, time to activation.",
                    "zh": "用户完成注册并进行一些基本设置,进一步表达对产品的兴趣和意愿。"
                    "关键指标:注册转化率,激活的时间和方法。",
                },
                actions=(
                    {
                        "en": "If registration conversion is low, simplify registration or offer "
                        "incentives",
                        "zh": "简化注册流程或者提供一些激励措施",
                    },
                ),
            ),
            Stage(
                "retention",
                label={"en": "Experience and retention", "zh": "用户体验和留存"},
                description={
                    "en": "Users try the product's features and build a habit of using it. "
                    "Key metrics: retention rate and user activity.",
                    "zh": "用户尝试产品的各个功能,逐渐建立起使用的习惯。关键指标:留存率和用户"
                    "活跃度。",
                },
                actions=(
                    {
                        "en": "If retention is low, improve the product's features or make it "
                        "stickier",
                        "zh": "改进产品的功能设计或者增加用户的黏性",
                    },
                ),
            ),
            Stage(
                "paying",
                label={"en": "Paying users", "zh": "付费用户"},
                kind="won",
                description={
                    "en": "Users converted into paying users (or another target user group).",
                    "zh": "转化为付费用户或其他目标用户。",
                },
            ),
            Stage(
                "churned",
                label={"en": "Churned", "zh": "流失"},
                kind="lost",
                description={
                    "en": "Users who left before paying.",
                    "zh": "在付费前流失的用户。",
                },
            ),
        ],
        label={"en": "Product operations funnel", "zh": "产品运营漏斗"},
        description={
            "en": "The product operations funnel from the article '产品运营分析的万金油——"
            "漏斗模型': user acquisition, registration and activation, experience and "
            "retention, paying users. Compare conversion rates between stages to find the "
            "bottleneck, and between channels or user groups to find the best ones.",
            "zh": "产品运营漏斗(《产品运营分析的万金油——漏斗模型》):用户获取、注册与激活、"
            "用户体验和留存、付费用户。通过各阶段的转化率找到用户转化的瓶颈,并比较不同渠道"
            "或用户群体的转化率。",
        },
    )


TEMPLATES = {"product-operations": product_operations}
"""The templates of this family, by name."""
