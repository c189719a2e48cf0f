"""A demo template plugin: publishes ``demo-plugin`` in the ``salesfunnel.templates`` group."""

from __future__ import annotations

from salesfunnel import Funnel, Stage


def make_funnel() -> Funnel:
    """A three-stage demo funnel with one gate."""
    return Funnel(
        "demo-plugin",
        [
            Stage("signup", label={"en": "Sign-up", "zh": "注册"}),
            Stage("trial", label={"en": "Trial", "zh": "试用"}, gates="email is set"),
            Stage("customer", label={"en": "Customer", "zh": "客户"}, kind="won"),
            Stage("lost", label={"en": "Lost", "zh": "流失"}, kind="lost"),
        ],
        label={"en": "Demo plugin funnel", "zh": "演示插件漏斗"},
    )
