"""Chinese names of tables, columns and records, for showing conflicts and the audit trail to a township cadre."""

from __future__ import annotations

TABLES = {
    "township": "乡镇", "village": "村（社区）", "village_group": "村民小组", "grid": "网格",
    "household": "户", "person": "人员", "tag": "标签", "household_tag": "户标签",
    "party_center": "党员中心户", "link_head": "联户长", "grid_worker": "网格员", "person_post": "人员职务",
    "committee": "六会组织", "committee_member": "六会成员", "committee_activity": "六会活动",
    "activity_attendee": "活动参加人", "visit": "走访", "visit_household": "走访户", "category": "问题分类",
    "problem": "问题", "problem_household": "问题涉及户", "problem_event": "问题办理步骤",
    "user_account": "账号", "setting": "设置", "device": "设备",
}

# Column names shared by several tables get one label.
COLUMNS = {
    "name": "名称", "deleted": "删除标记", "code": "编码", "kind": "类别", "note": "备注", "phone": "电话",
    "address": "住址", "hh_no": "户号", "level": "三色等级", "status": "状态", "head_person_id": "户主",
    "village_id": "所属村", "group_id": "村民小组", "grid_id": "网格", "household_id": "所属户",
    "center_id": "党员中心户", "link_head_id": "联户长", "winter_pasture": "冬草场", "summer_pasture": "夏草场",
    "gender": "性别", "birth_date": "出生日期", "id_number": "身份证号", "id_status": "证件核验",
    "relation": "与户主关系", "ethnicity": "民族", "is_party_member": "党员", "party_branch": "所在支部",
    "party_joined_on": "入党时间", "types": "中心户类型", "designated_on": "确定日期", "ended_on": "结束日期",
    "role": "角色", "post": "职务", "founded_on": "成立日期", "dissolved_on": "撤销日期", "charter": "章程",
    "joined_on": "加入日期", "left_on": "退出日期", "held_on": "活动日期", "topic": "议题", "decisions": "决定事项",
    "outcome": "成效", "visited_on": "走访日期", "visitors": "走访人", "findings": "了解情况", "needs": "群众诉求",
    "next_due": "下次走访", "title": "问题标题", "description": "问题描述", "source": "来源",
    "hotline_no": "12345工单号", "category_id": "分类", "urgency": "紧急程度", "reporter": "反映人",
    "reporter_phone": "反映人电话", "registered_at": "登记时间", "at": "时间", "actor": "经办人",
    "responsible_person": "责任人", "responsible_unit": "责任单位", "deadline": "办结时限", "reason": "理由",
    "rating": "评价", "rated_by": "评价人", "revisit_result": "回访结果", "key": "设置项", "value": "设置值",
    "display_name": "姓名", "username": "用户名", "active": "启用", "revoked_at": "注销时间",
    "activity_id": "活动", "person_id": "人员", "committee_id": "六会组织", "tag_id": "标签", "visit_id": "走访",
    "problem_id": "问题", "township_id": "乡镇", "unit_id": "所在单位", "domain": "领域", "sort_order": "排序",
    "black_list": "黑榜", "red_list": "红榜", "evaluations": "评议次数", "events_handled": "办理红白事",
    "guests": "宾客人数", "money_saved_yuan": "节约金额（元）", "patrols": "巡逻次数", "enrolled_at": "登记时间",
    "enrolled_by": "登记人", "revoked_by": "注销人", "verify_key": "公钥", "since": "起始日期", "until": "截止日期",
    "lat": "纬度", "lon": "经度", "standard_notes": "四好四强", "ledger_no": "台账编号", "provisional_no": "临时编号",
    "year": "年度", "approved_by": "批准人", "deadline_kind": "期限类型", "merged_into_id": "并入问题",
    "rating_method": "评价方式", "builtin": "内置", "county": "县（旗）", "password_hash": "密码",
    "village_ids": "负责的村",
}

_LABEL_SQL = {
    "person": "SELECT name FROM person WHERE id = ?",
    "household": "SELECT coalesce(nullif(h.hh_no, ''), h.address) || '（' || v.name || '）' "
                 "FROM household h JOIN village v ON v.id = h.village_id WHERE h.id = ?",
    "problem": "SELECT coalesce(nullif(ledger_no, ''), provisional_no) || ' ' || title FROM problem WHERE id = ?",
    "problem_event": "SELECT p.title || '：' || e.kind FROM problem_event e JOIN problem p ON p.id = e.problem_id "
                     "WHERE e.id = ?",
    "committee_activity": "SELECT held_on || ' ' || topic FROM committee_activity WHERE id = ?",
    "visit": "SELECT visited_on || ' ' || findings FROM visit WHERE id = ?",
    "setting": "SELECT key FROM setting WHERE id = ?",
    "user_account": "SELECT username FROM user_account WHERE id = ?",
}
for _t in ("township", "village", "village_group", "grid", "tag", "committee", "device", "category"):
    _LABEL_SQL[_t] = f'SELECT name FROM "{_t}" WHERE id = ?'


def table_label(table: str) -> str:
    return TABLES.get(table, table)


def field_label(table: str, column: str) -> str:
    if table == "problem_event" and column == "kind":
        return "步骤"
    return COLUMNS.get(column, column)


def record_label_sql(table: str) -> str | None:
    """A query giving a short human name of one row of ``table`` (parameter: its id), if there is one."""
    return _LABEL_SQL.get(table)
