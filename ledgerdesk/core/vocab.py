"""The domain vocabulary (domain.md): codes and labels stored in ledger rows.

Values here are written into rows and travel in sync files, so they are
*stable contracts*: add new ones, never rename or reuse a stored value.
Everything that shows a label (pages, sheets, spreadsheets) takes it from here.
"""

from __future__ import annotations

# party_center.types is a comma list of these 六大员 codes.
CENTER_TYPES = {
    "xuanchuan": "理论政策宣传员",
    "zuzhi": "党群活动组织员",
    "daiban": "服务群众代办员",
    "wangge": "基层治理网格员",
    "xietiao": "矛盾纠纷协调员",
    "zhifu": "带头致富示范员",
}

# committee.kind for the six village committees (六会). Rows of any other kind
# use CUSTOM_COMMITTEE with a free name.
COMMITTEE_KINDS = {
    "hongbai": "红白理事会",
    "huzhu": "互帮互助会",
    "lianfang": "联防联治会",
    "xiangxian": "乡贤参事会",
    "jindu": "禁毒禁赌会",
    "daode": "道德评议会",
}
CUSTOM_COMMITTEE = "custom"
COMMITTEE_ROLES = ("会长", "副会长", "秘书长", "成员")
ACTIVITY_KINDS = ("会议", "调解", "事务办理", "巡逻", "评议", "宣传", "其他")  # committee_activity.kind

# -- registry -----------------------------------------------------------------------

VILLAGE_KINDS = ("村", "社区", "嘎查")
GROUP_KINDS = ("村民小组", "牧民小组", "居民小组")
LEVELS = ("绿", "黄", "红")  # 三色: stable / attention / key concern
LEVEL_LABELS = {"绿": "绿（稳定）", "黄": "黄（关注）", "红": "红（重点）"}
HOUSEHOLD_STATUSES = ("在册", "迁出", "注销")
PERSON_STATUSES = ("在册", "外出", "迁出", "去世")
GENDERS = ("男", "女")
GRID_ROLES = ("网格长", "网格员")
PERSON_POSTS = ("党小组长", "村民小组长", "牧民小组长")

BUILTIN_TAGS = ("留守老人", "留守儿童", "独居老人", "残疾", "低保", "特困", "脱贫监测户",
                "外出务工", "流动人口", "出租屋", "牧户", "退役军人", "重点关注")

# -- problem ledger -------------------------------------------------------------------

SOURCES = ("网格员巡查", "群众反映", "走访发现", "12345热线", "信访", "上级交办", "述职评议")
HOTLINE_SOURCE = "12345热线"
PETITION_SOURCE = "信访"
EARLY_WARNING_SOURCES = ("网格员巡查", "走访发现")  # the 前哨 of 重合度
URGENCIES = ("一般", "紧急", "急难险重")
RATINGS = ("满意", "基本满意", "不满意")
SATISFIED_RATINGS = ("满意", "基本满意")
RATING_METHODS = ("上门", "电话")
VISIT_KINDS = ("走访", "敲门行动", "院坝会", "田埂会")

# Seed categories: four domains from the seed reports, sub-categories configurable.
BUILTIN_CATEGORIES = {
    "组织覆盖": ("党组织建设", "党员管理", "中心户联系"),
    "民生服务": ("道路交通", "饮水安全", "医疗卫生", "教育", "社保低保", "住房安全", "环境卫生"),
    "矛盾化解": ("邻里纠纷", "土地草场纠纷", "婚姻家庭", "劳资纠纷"),
    "产业发展": ("种植养殖", "就业创业", "集体经济"),
}

# -- accounts --------------------------------------------------------------------------

ROLES = ("管理员", "书记", "录入员", "只读")
