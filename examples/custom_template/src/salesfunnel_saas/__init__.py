"""The self-serve SaaS trial funnel, published as the template ``saas-trial``.

Install this package (``pip install ./examples/custom_template``) and the template is
available by name: ``salesfunnel.templates.get("saas-trial")``, or
``salesfunnel templates saas-trial`` on the command line.
"""

from __future__ import annotations

from salesfunnel import Funnel, Stage

__all__ = ["saas_trial"]


def saas_trial() -> Funnel:
    """Visitors who sign up, activate, use the trial and pay; a fresh funnel each call."""
    return Funnel(
        "saas-trial",
        [
            Stage("visit", label={"en": "Website visit", "zh": "访问"}, probability=0.01),
            Stage("signup", label={"en": "Signed up", "zh": "注册"}, probability=0.05,
                  gates="email is set"),
            Stage("activated", label={"en": "Activated", "zh": "激活"}, probability=0.15,
                  gates="projects >= 1", owner="onboarding",
                  actions=("welcome e-mail", "setup call")),
            Stage("engaged", label={"en": "Engaged trial", "zh": "活跃试用"}, probability=0.4,
                  gates="active_days >= 3 and seats >= 2", owner="sales",
                  actions=("usage review", "pricing call")),
            Stage("paid", kind="won", label={"en": "Paying customer", "zh": "付费用户"},
                  gates="payment_method is set"),
            Stage("churned", kind="lost", label={"en": "Trial expired", "zh": "试用到期"}),
        ],
        skip_ahead=True,
        label={"en": "SaaS trial funnel", "zh": "SaaS 试用漏斗"},
        description={"en": "Self-serve trial: activation and engagement gates before payment."},
    )
