"""Sales funnels: ``b2b-seven-stage``, ``lead-funnel``, ``crm-pipeline``,
``sales-analysis-five-stage`` and ``jiandaoyun-seven-stage``.

``b2b-seven-stage``
===================

Source: the project-sales funnel deck 《项目销售漏斗模型》/《漏斗式销售模型》, a Chinese
B2B sales training for enterprise software (Shenzhen; Yonyou products). It has two
tables that this template reconciles:

- the seven **process steps** (销售过程回顾), each with the result reached with the
  buyer's key people (与买方关键人行为结果) and the main sales actions
  (主要的销售动作举例): 定位目标客户群 -> 发掘潜在的商机 -> 确认客户意向 -> 引导客户立项 ->
  赢得客户认可 -> 进行商务谈判 -> 完成销售成交;
- the **funnel status table** (漏斗式销售阶段定义): 目标客户 10 %, 有效客户 25 %,
  入围客户 50 %, 意向客户 75 %, 接近赢单客户 90 %, 赢单客户 100 %, each with a
  definition (定义/状态说明) and a checklist (达标检查评估点).

The result column of the process table lines up with the definition column of the status
table, one to one from the second step on, which gives the mapping used here (stage =
the state a deal is in, named after the step that reaches it; step, its result with the
buyer -> stage slug, status and its definition, probability):

1. 定位目标客户群, 待沟通 (not yet contacted) -> ``prospect``: no status, no probability.
2. 发掘潜在的商机, 初步接触并了解问题 -> ``target``: 目标客户, 拜访过一次,了解有需求; 10 %.
3. 确认客户意向, 确认问题并提出解决方案 -> ``qualified``: 有效客户, 需求认可,并对我司产品
   有兴趣; 25 %.
4. 引导客户立项, 确认方案 (产品测试, 提交测试报告) -> ``shortlisted``: 入围客户, 完成技术认可,
   形成初步合作意愿; 50 %.
5. 赢得客户认可, 谈判沟通 (交换商务条款, 商务公关) -> ``intent``: 意向客户, 完成重要商务谈判,
   递交合同; 75 %.
6. 进行商务谈判, 预成交 (设定并参与投标) -> ``near-win``: 接近赢单客户, 按我们的技术标准
   招标/客户口头承诺/中标; 90 %.
7. 完成销售成交, 成交 (签定合同, 方案实施) -> ``won`` (WON): 赢单客户, 合同签订,收到预付款;
   100 %.

So the first stage, an account of the target group not yet contacted, has no checklist
and no win probability in the source (``probability=None``, "not estimated"); the
balance calculation's "目标客户成为赢单客户的机率 10 %" is the 10 % of stage 2. The stage
slugs follow the statuses: ``prospect``, ``target``, ``qualified``, ``shortlisted``,
``intent``, ``near-win``, ``won``, plus ``lost`` (not in the source; a deal can be
lost from any open stage).

Owners: the deck names the account manager (客户经理, 销售人员) for step 2 and the
project team (项目小组: sales manager or project manager, product and industry experts,
pre-sales and implementation consultants, branch general manager, account manager) once
the project is set up (step 4). Steps 1 and 3 come before the project team is formed
and belong to the account manager; steps 4 to 7 to the project team. The actions of each
stage are the step's 主要的销售动作; the step-4 guidance on leading the customer with
the product's features is added there.

Gates: every 达标检查评估点 item is one named rule gate (label: English, and the
original question in Chinese) over the fields below; the WON stage has no checklist and
its two gates come from its definition (合同签订,收到预付款). A bare field is a yes/no
answer (truthy); ``is set`` fields hold the answer itself (a date, a product, an
amount). Missing fields fail. A deal enters a stage only when every gate of that stage passes.

- ``problems_understood`` (target): 我们是否已清楚"客户要解决哪些问题"? We know which
  problems the customer wants to solve.
- ``need_deadline`` (target, is set): 客户的需求要求在什么时间内解决? By when the need must
  be met, e.g. a date.
- ``preferred_product`` (target, is set): 客户倾向选择我司什么产品? The product of ours the
  customer leans towards.
- ``competition_assessed`` (target): 我们的方案是否有竞争优势?有无竞争对手?有无可替代性方案?
  我们的方案有无屏蔽性的特点? We assessed our edge, the competitors, the alternatives and
  our lock-out features.
- ``project_approved`` (qualified): 客户最高决策者/机构已讨论通过或签字是否上该项目? The top
  decision maker or body approved (or signed off) the project.
- ``budget_confirmed`` (qualified): 资金预算已到位? The budget is in place.
- ``budget_amount`` (qualified, is set): 大概预算是多少? The approximate budget.
- ``budget_payer`` (qualified, is set): 具体谁出钱? Who exactly pays.
- ``technical_advantage_acknowledged`` (shortlisted): 客户是否承认我们与竞争对手的技术差异
  优势? The customer acknowledges our technical edge over the competitors.
- ``vendor_accepted`` (shortlisted): 是否对公司(上游厂商)认可? The customer accepts our
  company (and the upstream vendor).
- ``technical_barrier_set`` (shortlisted): 用和竞争对手形成差异化的技术特点给竞争对手设立技术
  屏障? Our distinctive technical features set a barrier for the competitors.
- ``decision_chain_mapped`` (intent): 已摸清客户组织结构及决策链? We know the customer's
  organisation and decision chain.
- ``coach_in_place`` (intent): 该项目中已经有我方的教练或枪手?能否得到我们想要的信息? We have
  a coach inside the project who can get us the information we need.
- ``procurement_process_known`` (intent): 我们已了解到客户的采购流程和关键点? We know the
  procurement process and its key points.
- ``channel_relations_known`` (intent): 我们是否清楚客户背后的渠道关系? We know the channel
  relationships behind the customer.
- ``competitors_known`` (intent): 是否已清楚竞争对手的情况? We know the competitors'
  situation.
- ``cooperation_model_accepted`` (intent): 最高决策者或决策链里的关键人认可我们的合作模式?
  The top decision maker or the key people accept our cooperation model.
- ``channel_bound`` (intent): 客户认可的渠道已经跟我们绑定? The channel the customer trusts
  is bound to us.
- ``tender_specs_ours`` (near-win): 标书技术参数由我方撰写或引导? We wrote or guided the
  tender's technical parameters.
- ``scoring_criteria_ours`` (near-win): 由我们制定评分标准或我们选定集成商? We set the
  scoring criteria or chose the integrator.
- ``scores_estimated`` (near-win): 按评分标准我们已估算出我们和对手的得失分? We estimated our
  and the rivals' scores under the scoring criteria.
- ``evaluators_known`` (near-win): 我们已拿到评标专家或评标组成员的名单? We have the list of
  bid evaluators.
- ``won_bid`` (near-win): 我们已中标,渠道已拿到中标通知书? We won the bid and the channel
  holds the notice of award.
- ``contract_signed`` (won; from the definition 合同签订): the contract is signed.
- ``prepayment_received`` (won; from the definition 收到预付款): the advance payment has
  been received.

The budget item is one gate, ``budget``, with the rule
``budget_confirmed and budget_amount is set and budget_payer is set`` (so a refusal
names the missing part); every other item is one gate named after its field.

The other funnels
=================

``lead-funnel``
    The lead funnel (潜在客户漏斗) of the article "什么是销售漏斗?为什么您的企业需要它?":
    awareness, consideration, conversion. It is cyclic: once someone converts they
    re-enter the funnel and repeat the process (``reentry="awareness"``); many leads
    fade away or are forgotten on the way (``lost``).
``crm-pipeline``
    The CRM pipeline of "销售漏斗建模方案": leads (not yet in contact), follow-ups (in
    contact, no sale yet), opportunities (a sales opportunity reached), contracts
    (contract signed, the WON stage). Each definition is a gate over ``contacted``,
    ``opportunity_confirmed`` and ``contract_signed``.
``sales-analysis-five-stage``
    The five-stage funnel of "销售漏斗分析与销售": reach (潜在客户触达), lead conversion
    (线索转化), opportunity development (机会开发), quotation and negotiation
    (报价洽谈), deal (成交, WON). Salespeople own the stages from lead conversion on.
``jiandaoyun-seven-stage``
    The seven stages of the 简道云 CRM article "销售漏斗的概念与CRM销售漏斗图示例":
    lead acquisition, initial contact, needs analysis, proposal, negotiation, contract
    signing, after-sales service, each with its management point (管理要点) as the
    recommended action. After-sales service comes after the contract, so it is the WON
    stage (a customer who signed and is being served) and contract signing is the last
    open stage.
"""

from __future__ import annotations

from salesfunnel.model._funnel import Funnel
from salesfunnel.model._gate import Gate
from salesfunnel.model._stage import Stage

__all__ = [
    "B2B_CHECKLISTS",
    "TEMPLATES",
    "b2b_seven_stage",
    "crm_pipeline",
    "jiandaoyun_seven_stage",
    "lead_funnel",
    "sales_analysis_five_stage",
]

ACCOUNT_MANAGER = {"en": "account manager", "zh": "客户经理"}
PROJECT_TEAM = {"en": "project team", "zh": "项目小组"}
SALESPERSON = {"en": "salesperson", "zh": "销售人员"}

# stage -> (gate name, rule, English label, the original question)
B2B_CHECKLISTS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "target": (
        ("problems_understood", "problems_understood",
         "Do we know which problems the customer wants to solve?",
         "我们是否已清楚“客户要解决哪些问题”?"),
        ("need_deadline", "need_deadline is set",
         "By when does the customer need the problem solved?",
         "客户的需求要求在什么时间内解决?"),
        ("preferred_product", "preferred_product is set",
         "Which of our products does the customer lean towards?",
         "客户倾向选择我司什么产品?"),
        ("competition_assessed", "competition_assessed",
         "Does our solution have a competitive edge? Are there competitors or alternative "
         "solutions? Does our solution have features that lock competitors out?",
         "我们的方案是否有竞争优势?有无竞争对手?有无可替代性方案?我们的方案有无屏蔽性的特点?"),
    ),
    "qualified": (
        ("project_approved", "project_approved",
         "Has the customer's top decision maker or body discussed and approved, or signed "
         "off, the project?",
         "客户最高决策者/机构已讨论通过或签字是否上该项目?"),
        ("budget", "budget_confirmed and budget_amount is set and budget_payer is set",
         "Is the budget in place? About how much is it? Who exactly pays?",
         "资金预算已到位?大概预算是多少?具体谁出钱?"),
    ),
    "shortlisted": (
        ("technical_advantage_acknowledged", "technical_advantage_acknowledged",
         "Does the customer acknowledge our technical edge over the competitors?",
         "客户是否承认我们与竞争对手的技术差异优势?"),
        ("vendor_accepted", "vendor_accepted",
         "Does the customer accept our company (and upstream vendor)?",
         "是否对公司(上游厂商)认可?"),
        ("technical_barrier_set", "technical_barrier_set",
         "Have our distinctive technical features set a technical barrier for competitors?",
         "用和竞争对手形成差异化的技术特点给竞争对手设立技术屏障?"),
    ),
    "intent": (
        ("decision_chain_mapped", "decision_chain_mapped",
         "Do we know the customer's organisation and decision chain?",
         "已摸清客户组织结构及决策链?"),
        ("coach_in_place", "coach_in_place",
         "Do we have a coach or insider in the project who can get us the information we "
         "want?",
         "该项目中已经有我方的教练或枪手?能否得到我们想要的信息?"),
        ("procurement_process_known", "procurement_process_known",
         "Do we know the customer's procurement process and its key points?",
         "我们已了解到客户的采购流程和关键点?"),
        ("channel_relations_known", "channel_relations_known",
         "Do we know the channel relationships behind the customer?",
         "我们是否清楚客户背后的渠道关系?"),
        ("competitors_known", "competitors_known",
         "Do we know the competitors' situation?",
         "是否已清楚竞争对手的情况?"),
        ("cooperation_model_accepted", "cooperation_model_accepted",
         "Do the top decision maker or the key people of the decision chain accept our "
         "cooperation model?",
         "最高决策者或决策链里的关键人认可我们的合作模式?"),
        ("channel_bound", "channel_bound",
         "Is the channel the customer trusts bound to us?",
         "客户认可的渠道已经跟我们绑定?"),
    ),
    "near-win": (
        ("tender_specs_ours", "tender_specs_ours",
         "Did we write or guide the technical parameters of the tender?",
         "标书技术参数由我方撰写或引导?"),
        ("scoring_criteria_ours", "scoring_criteria_ours",
         "Did we set the scoring criteria, or choose the integrator?",
         "由我们制定评分标准或我们选定集成商?"),
        ("scores_estimated", "scores_estimated",
         "Have we estimated our and our rivals' scores under the scoring criteria?",
         "按评分标准我们已估算出我们和对手的得失分?"),
        ("evaluators_known", "evaluators_known",
         "Do we have the list of bid-evaluation experts or panel members?",
         "我们已拿到评标专家或评标组成员的名单?"),
        ("won_bid", "won_bid",
         "Have we won the bid, and has the channel received the notice of award?",
         "我们已中标,渠道已拿到中标通知书?"),
    ),
    "won": (
        ("contract_signed", "contract_signed", "The contract is signed.", "合同签订"),
        ("prepayment_received", "prepayment_received",
         "The advance payment has been received.", "收到预付款"),
    ),
}
"""The B2B checklists: per stage, ``(gate name, rule, English question, original question)``."""


def _gates(stage: str) -> tuple[Gate, ...]:
    return tuple(
        Gate(rule, name=name, label={"en": en, "zh": zh})
        for name, rule, en, zh in B2B_CHECKLISTS[stage]
    )


def b2b_seven_stage() -> Funnel:
    """The seven-stage B2B project funnel, 10/25/50/75/90/100 %, checklists as gates."""
    return Funnel(
        "b2b-seven-stage",
        [
            Stage(
                "prospect",
                label={"en": "Target customer group", "zh": "定位目标客户群"},
                owner=ACCOUNT_MANAGER,
                description={
                    "en": "Step 1, define the target customer group: an account chosen as a "
                    "target, not yet contacted (result with the buyer: to be contacted). The "
                    "source gives no checklist and no probability for this step.",
                    "zh": "一、定位目标客户群:已选定但尚未接触的目标客户(与买方关键人行为结果:"
                    "待沟通)。原文未给出此步骤的达标检查评估点和概率。",
                },
                actions=(
                    {
                        "en": "Collect information about the customer and analyse it to "
                        "anticipate needs",
                        "zh": "收集该客户相关信息并进行分析预测需求",
                    },
                    {"en": "Prepare case studies of customers in the same industry",
                     "zh": "准备同行业客户案例"},
                ),
            ),
            Stage(
                "target",
                label={"en": "Opportunity found: target customer",
                       "zh": "发掘潜在的商机:目标客户"},
                probability=0.10,
                gates=_gates("target"),
                owner=ACCOUNT_MANAGER,
                description={
                    "en": "Step 2, discover the opportunity: a possible sale found in the "
                    "target group after a first assessment (visited once, need known). "
                    "Information to obtain: the customer's basic data (industry, background, "
                    "size, staff), IT basics (hardware, software, network), competing "
                    "vendors, needs and budget, the customer's project team. Opportunity "
                    "criteria: fits our target-customer profile, needs IT, is profitable, "
                    "has no system or an inadequate one.",
                    "zh": "二、发掘客户潜在的商机:销售人员在目标客户群中通过初步评估后发现的一个"
                    "可能存在的销售机会(目标客户:拜访过一次,了解有需求)。应取得的信息:客户的"
                    "基本资料(行业/背景/企业规模/人员等)、客户的IT基本信息(已有的硬件/软件/"
                    "网络等)、参与竞争的软件厂商、客户的需求/预算、客户的项目组人员情况。"
                    "潜在的商机评估标准:符合我们的目标客户要求;该企业需要应用信息化;该企业"
                    "经济效益良好;目前无应用系统或系统不完善、应用效果不好。",
                },
                actions=(
                    {"en": "Visit the customer on site", "zh": "上门拜访"},
                    {
                        "en": "Exchange views, learn how the customer works today and point out "
                        "the problems they may have",
                        "zh": "互动交流,了解客户现实应用情况并针对性提出可能存在的问题",
                    },
                ),
            ),
            Stage(
                "qualified",
                label={"en": "Intent confirmed: qualified customer",
                       "zh": "确认客户意向:有效客户"},
                probability=0.25,
                gates=_gates("qualified"),
                owner=ACCOUNT_MANAGER,
                description={
                    "en": "Step 3, confirm the customer's intent: problems confirmed and a "
                    "solution proposed (needs acknowledged, interested in our products).",
                    "zh": "三、确认客户意向:确认问题并提出解决方案(有效客户:需求认可,并对我司"
                    "产品有兴趣)。",
                },
                actions=(
                    {"en": "Confirm the problems or pain points with the customer",
                     "zh": "向客户确认问题或其困难点"},
                    {"en": "Submit, discuss and agree the solution proposal",
                     "zh": "提交、讨论并确定解决方案书"},
                ),
            ),
            Stage(
                "shortlisted",
                label={"en": "Project set up: shortlisted customer",
                       "zh": "引导客户立项:入围客户"},
                probability=0.50,
                gates=_gates("shortlisted"),
                owner=PROJECT_TEAM,
                description={
                    "en": "Step 4, guide the customer to set up the project: the solution is "
                    "confirmed by product tests (technical acceptance, a first willingness "
                    "to cooperate). A project is set up when the customer has a preliminary "
                    "budget, a selection team backed by senior management, a schedule, and "
                    "third-party consultants or competitors are involved.",
                    "zh": "四、引导客户立项:确认方案(入围客户:完成技术认可,形成初步合作意愿)。"
                    "立项标志:客户已有初步的项目预算;客户已成立项目选型小组,企业领导层对此"
                    "高度重视和支持;客户已有时间进度计划;已有第三方咨询商或竞争厂商介入。",
                },
                actions=(
                    {"en": "Product testing", "zh": "产品测试"},
                    {"en": "Submit the test report", "zh": "提交测试报告"},
                    {
                        "en": "Guide the customer purposefully with the product's features, e.g. "
                        "presentations of the product roadmap and white papers",
                        "zh": "根据产品特征,有目的的对客户进行引导,可提供有关产品方向、白皮书等资"
                        "料的PPT讲解",
                    },
                ),
            ),
            Stage(
                "intent",
                label={"en": "Customer acceptance won: intent customer",
                       "zh": "赢得客户认可:意向客户"},
                probability=0.75,
                gates=_gates("intent"),
                owner=PROJECT_TEAM,
                description={
                    "en": "Step 5, win the customer's acceptance: negotiation (the important "
                    "commercial negotiation done, the contract submitted).",
                    "zh": "五、赢得客户认可:谈判沟通(意向客户:完成重要商务谈判,递交合同)。",
                },
                actions=(
                    {"en": "Exchange commercial terms", "zh": "交换商务条款"},
                    {"en": "Business relationship building", "zh": "商务公关"},
                ),
            ),
            Stage(
                "near-win",
                label={"en": "Commercial negotiation: close to winning",
                       "zh": "进行商务谈判:接近赢单客户"},
                probability=0.90,
                gates=_gates("near-win"),
                owner=PROJECT_TEAM,
                description={
                    "en": "Step 6, commercial negotiation: the customer accepts our products "
                    "and services and has confirmed us as the only or a shortlisted vendor; "
                    "pre-closing (tender to our technical standards, a verbal commitment, or "
                    "the bid won).",
                    "zh": "六、进行商务谈判:商务阶段是指客户对我们的产品和服务初步认可之后,客户"
                    "已确认我们是唯一厂商或备选的厂商之一;预成交(接近赢单客户:按我们的技术"
                    "标准招标/客户口头承诺/中标)。",
                },
                actions=({"en": "Shape and take part in the tender", "zh": "设定并参与投标"},),
            ),
            Stage(
                "won",
                label={"en": "Sale closed: won customer", "zh": "完成销售成交:赢单客户"},
                kind="won",
                gates=_gates("won"),
                owner=PROJECT_TEAM,
                description={
                    "en": "Step 7, close the sale: contract signed, advance payment received.",
                    "zh": "七、完成销售成交(赢单客户:合同签订,收到预付款)。",
                },
                actions=(
                    {"en": "Sign the contract", "zh": "签定合同"},
                    {"en": "Implement the solution", "zh": "方案实施"},
                ),
            ),
            Stage(
                "lost",
                label={"en": "Lost", "zh": "丢单"},
                kind="lost",
                description={
                    "en": "The customer chose another vendor or dropped the project (not a "
                    "stage of the source; added so deals can be closed as lost).",
                    "zh": "客户选择了其他厂商或放弃了项目(原文未列此阶段,为记录丢单而设)。",
                },
            ),
        ],
        label={"en": "Seven-stage B2B project sales funnel", "zh": "项目销售漏斗模型(七阶段)"},
        description={
            "en": "The seven-stage project sales funnel of a Chinese B2B sales training for "
            "enterprise software ('项目销售漏斗模型', '漏斗式销售模型'): from the target customer "
            "group to the closed sale, with the win probabilities of its status table "
            "(target 10 %, qualified 25 %, shortlisted 50 %, intent 75 %, close to winning "
            "90 %, won 100 %), every checklist item (达标检查评估点) as a gate, owners "
            "(account manager, project team) and the main sales actions of each step.",
            "zh": "项目销售漏斗模型(漏斗式销售模型):从定位目标客户群到完成销售成交的七个阶段,"
            "漏斗表概率为目标客户 10%、有效客户 25%、入围客户 50%、意向客户 75%、接近赢单客户 "
            "90%、赢单客户 100%;每个达标检查评估点都是一个检查条件,并给出负责人(客户经理、"
            "项目小组)和各阶段的主要销售动作。",
        },
    )


def lead_funnel() -> Funnel:
    """The lead funnel: awareness, consideration, conversion; converted leads re-enter."""
    return Funnel(
        "lead-funnel",
        [
            Stage(
                "awareness",
                label={"en": "Awareness", "zh": "认知"},
                description={
                    "en": "Top of the funnel: make people who are looking for a solution to "
                    "their problem know that you exist, without selling to them.",
                    "zh": "漏斗顶部:让正在为问题寻找解决方案的人知道你的存在,而不是向他们推销。",
                },
                actions=(
                    {
                        "en": "Cold e-mail, content marketing, search engine optimisation and "
                        "advertising",
                        "zh": "冷电子邮件、内容营销、搜索引擎优化和广告",
                    },
                    {"en": "Build a library of helpful, engaging content that answers questions",
                     "zh": "建立帮助人们寻找问题答案的内容库"},
                    {"en": "Prospect and reach out proactively",
                     "zh": "寻找潜在客户并主动与他们联系"},
                ),
            ),
            Stage(
                "consideration",
                label={"en": "Consideration", "zh": "考虑"},
                description={
                    "en": "The middle: people weigh their options, which takes time; keep "
                    "them within your sphere of influence. Many leads fade away or are "
                    "forgotten here.",
                    "zh": "漏斗中部:人们考虑他们的选择,这需要时间;需要将客户保持在自己的影响"
                    "范围内。许多潜在客户会在这个阶段消失或被遗忘。",
                },
                actions=(
                    {"en": "Gentle e-mail campaigns that deliver value and ask little",
                     "zh": "传递价值、不会对收件人要求太多的温和电子邮件营销"},
                    {"en": "Use smart marketing tools or a sales engagement platform",
                     "zh": "投资智能营销工具或销售互动平台"},
                ),
            ),
            Stage(
                "conversion",
                label={"en": "Conversion", "zh": "转化"},
                kind="won",
                description={
                    "en": "The bottom: the lead buys. Converted customers re-enter the "
                    "funnel and repeat the process.",
                    "zh": "漏斗底部:潜在客户完成购买。完成转化的客户会再次进入漏斗,重复该过程。",
                },
                actions=(
                    {
                        "en": "Keep engaging and show you want to help; customer service and "
                        "customer engagement matter most here",
                        "zh": "保持互动,客户服务和客户参与非常重要",
                    },
                ),
            ),
            Stage(
                "lost",
                label={"en": "Faded away", "zh": "流失"},
                kind="lost",
                description={
                    "en": "The lead disappeared or was forgotten.",
                    "zh": "潜在客户消失或被遗忘。",
                },
            ),
        ],
        reentry="awareness",
        label={"en": "Lead funnel", "zh": "潜在客户漏斗"},
        description={
            "en": "The lead funnel: awareness (top), consideration (middle), conversion "
            "(bottom). It does not end at conversion: current and past customers re-enter "
            "and buy again, so the funnel is cyclic. Source: '什么是销售漏斗?为什么您的企业"
            "需要它?' (2024).",
            "zh": "潜在客户漏斗:认知(顶部)、考虑(中部)、转化(底部)。漏斗不会在客户转化时"
            "结束,而是周期性的:当前和过去的客户会再次进入漏斗并再次购买。来源:《什么是销售"
            "漏斗?为什么您的企业需要它?》(2024)。",
        },
    )


def crm_pipeline() -> Funnel:
    """The CRM pipeline: leads, follow-ups, opportunities, contracts."""
    return Funnel(
        "crm-pipeline",
        [
            Stage(
                "leads",
                label={"en": "Leads", "zh": "潜在客户"},
                description={
                    "en": "Potential customers not yet in contact with the company.",
                    "zh": "尚未与企业建立联系的潜在客户。",
                },
            ),
            Stage(
                "follow-ups",
                label={"en": "Follow-ups", "zh": "跟进"},
                gates=Gate("contacted", name="contacted",
                           label={"en": "Contact with the lead is established",
                                  "zh": "与潜在客户建立了联系"}),
                description={
                    "en": "In contact with the potential customer, no sale reached yet.",
                    "zh": "与潜在客户建立了联系,但尚未达成销售的阶段。",
                },
            ),
            Stage(
                "opportunities",
                label={"en": "Opportunities", "zh": "机会"},
                gates=Gate("opportunity_confirmed", name="opportunity_confirmed",
                           label={"en": "A sales opportunity has been reached",
                                  "zh": "已经达成销售机会"}),
                description={
                    "en": "Customers with whom a sales opportunity has been reached.",
                    "zh": "已经达成销售机会的客户。",
                },
            ),
            Stage(
                "contracts",
                label={"en": "Contracts", "zh": "合同"},
                kind="won",
                gates=Gate("contract_signed", name="contract_signed",
                           label={"en": "The contract is signed", "zh": "已经签署合同"}),
                description={
                    "en": "Customers who signed a contract and closed the deal.",
                    "zh": "已经签署合同并达成交易的客户。",
                },
            ),
            Stage(
                "lost",
                label={"en": "Lost", "zh": "丢单"},
                kind="lost",
                description={"en": "No deal.", "zh": "未达成交易。"},
            ),
        ],
        label={"en": "CRM sales pipeline", "zh": "CRM 销售漏斗"},
        description={
            "en": "The sales funnel of a CRM system ('销售漏斗建模方案'): leads, follow-ups, "
            "opportunities, contracts. Track the conversion between stages to find "
            "bottlenecks, forecast sales and compare salespeople.",
            "zh": "CRM 系统中的销售漏斗(《销售漏斗建模方案》):潜在客户、跟进、机会、合同。"
            "跟踪各阶段的转化情况,找出瓶颈、预测销售并比较销售人员的绩效。",
        },
    )


def sales_analysis_five_stage() -> Funnel:
    """The five-stage analysis funnel: reach, lead, opportunity, quote, deal."""
    return Funnel(
        "sales-analysis-five-stage",
        [
            Stage(
                "reach",
                label={"en": "Prospect reach", "zh": "潜在客户触达"},
                description={
                    "en": "The start of the sales process: the company draws potential "
                    "customers' attention through its channels.",
                    "zh": "销售流程的起点:企业通过各种渠道引起潜在客户的关注,引导潜在客户进入"
                    "销售流程。",
                },
                actions=(
                    {"en": "Advertising and marketing campaigns", "zh": "广告、市场营销活动"},
                ),
            ),
            Stage(
                "lead",
                label={"en": "Lead conversion", "zh": "线索转化"},
                owner=SALESPERSON,
                description={
                    "en": "Salespeople talk with the prospect, collect lead information and "
                    "assess buying intent and fit; qualifying leads move on.",
                    "zh": "销售人员通过与潜在客户的沟通和交流,收集线索信息,评估潜在购买意向和"
                    "需求匹配度;符合要求的线索进入下一个阶段。",
                },
                actions=(
                    {
                        "en": "Talk with the prospect, collect lead information, assess buying "
                        "intent and fit",
                        "zh": "沟通交流,收集线索信息,评估潜在购买意向和需求匹配度",
                    },
                ),
            ),
            Stage(
                "opportunity",
                label={"en": "Opportunity development", "zh": "机会开发"},
                owner=SALESPERSON,
                description={
                    "en": "The salesperson learns the prospect's needs and intent and turns "
                    "the prospect into a real sales opportunity.",
                    "zh": "销售人员与潜在客户建立联系,进一步了解其需求和意向,将潜在客户转化为"
                    "真正的销售机会。",
                },
                actions=(
                    {
                        "en": "Keep communicating and pushing to turn the prospect into a real "
                        "opportunity",
                        "zh": "持续的沟通和推进",
                    },
                ),
            ),
            Stage(
                "quote",
                label={"en": "Quotation and negotiation", "zh": "报价洽谈"},
                owner=SALESPERSON,
                description={
                    "en": "Details of the product or service are discussed and a quote is "
                    "given.",
                    "zh": "与潜在客户商讨产品/服务的详细细节,并提供相应的报价。",
                },
                actions=(
                    {"en": "Understand the needs, give professional advice and resolve doubts",
                     "zh": "充分了解客户需求,提供专业的建议,并解决潜在客户可能存在的疑虑"},
                ),
            ),
            Stage(
                "deal",
                label={"en": "Deal", "zh": "成交"},
                kind="won",
                description={
                    "en": "Both sides agree and the customer buys.",
                    "zh": "双方达成协议,潜在客户完成购买行为,成为成交客户。",
                },
            ),
            Stage(
                "lost",
                label={"en": "Lost", "zh": "丢单"},
                kind="lost",
                description={"en": "No agreement.", "zh": "未达成协议。"},
            ),
        ],
        label={"en": "Five-stage sales analysis funnel", "zh": "销售漏斗分析(五阶段)"},
        description={
            "en": "The five-stage funnel of '销售漏斗分析与销售': prospect reach, lead "
            "conversion, opportunity development, quotation and negotiation, deal. Analyse "
            "the conversion rate and the conversion time between stages to find the "
            "bottlenecks.",
            "zh": "《销售漏斗分析与销售》的五阶段漏斗:潜在客户触达、线索转化、机会开发、报价洽谈、"
            "成交。通过转化率分析和转化时间分析找出销售流程中的瓶颈和改进点。",
        },
    )


def jiandaoyun_seven_stage() -> Funnel:
    """The seven stages of the 简道云 CRM article, after-sales service as WON."""
    stages = [
        ("lead-acquisition", "Lead acquisition", "潜在客户获取",
         "Obtain information on customers who may want to buy.",
         "获取可能有购买意向的客户信息",
         {"en": "Gather customer information through many channels; targeted marketing",
          "zh": "多渠道获取客户信息,精准营销"}),
        ("initial-contact", "Initial contact", "初步接触",
         "First contact with the prospect to learn their needs.",
         "与潜在客户进行初步联系,了解客户需求",
         {"en": "Follow up promptly and build initial trust", "zh": "及时跟进,建立初步信任"}),
        ("needs-analysis", "Needs analysis", "需求分析",
         "Understand the customer's specific needs and pain points in depth.",
         "深入了解客户需求,确定客户的具体需求和痛点",
         {"en": "Offer solutions and show the product's value", "zh": "提供解决方案,展示产品价值"}),
        ("proposal", "Proposal", "提供方案",
         "Provide a solution tailored to the customer's needs.",
         "根据客户需求提供定制化解决方案",
         {"en": "Make sure the proposal is targeted and feasible",
          "zh": "确保方案的针对性和可行性"}),
        ("negotiation", "Negotiation", "商务谈判",
         "Negotiate price, terms and conditions with the customer.",
         "与客户进行价格、条款等方面的谈判",
         {"en": "Master negotiation skills and aim for a win-win", "zh": "掌握谈判技巧,争取双赢"}),
        ("contract", "Contract signing", "签订合同",
         "Sign the contract with the customer and confirm the cooperation.",
         "与客户签订合同,确认合作关系",
         {"en": "Make sure the contract terms are clear to avoid later disputes",
          "zh": "确保合同条款清晰,避免后续纠纷"}),
        ("after-sales", "After-sales service", "售后服务",
         "The contract is signed; after-sales service keeps the customer satisfied.",
         "合同已签订;提供售后服务,确保客户满意",
         {"en": "Respond promptly to the customer's needs and raise satisfaction",
          "zh": "及时响应客户需求,提升客户满意度"}),
    ]
    return Funnel(
        "jiandaoyun-seven-stage",
        [
            Stage(
                name,
                label={"en": en, "zh": zh},
                kind="won" if name == "after-sales" else "open",
                description={"en": desc_en, "zh": desc_zh},
                actions=(action,),
            )
            for name, en, zh, desc_en, desc_zh, action in stages
        ]
        + [
            Stage(
                "lost",
                label={"en": "Lost", "zh": "丢单"},
                kind="lost",
                description={"en": "No contract.", "zh": "未签订合同。"},
            )
        ],
        label={"en": "Seven-stage CRM sales funnel (Jiandaoyun)",
               "zh": "简道云 CRM 销售漏斗(七阶段)"},
        description={
            "en": "The sales stages of the Jiandaoyun (简道云) CRM article '销售漏斗的概念与CRM"
            "销售漏斗图示例': lead acquisition, initial contact, needs analysis, proposal, "
            "negotiation, contract signing, after-sales service, with the management point "
            "of each stage as its action. After-sales service, which follows the signed "
            "contract, is the WON stage.",
            "zh": "简道云《销售漏斗的概念与CRM销售漏斗图示例》中的销售阶段:潜在客户获取、初步"
            "接触、需求分析、提供方案、商务谈判、签订合同、售后服务,以各阶段的管理要点作为"
            "销售动作。签订合同之后的售后服务为赢单阶段。",
        },
    )


TEMPLATES = {
    "b2b-seven-stage": b2b_seven_stage,
    "lead-funnel": lead_funnel,
    "crm-pipeline": crm_pipeline,
    "sales-analysis-five-stage": sales_analysis_five_stage,
    "jiandaoyun-seven-stage": jiandaoyun_seven_stage,
}
"""The templates of this family, by name."""
