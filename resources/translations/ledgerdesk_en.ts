<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>DashboardPage</name>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="40"/>
        <source>{township} 台账概况</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="44"/>
        <source>台账信息</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="47"/>
        <source>乡镇/街道：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="48"/>
        <source>台账文件：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="49"/>
        <source>数据库版本：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="49"/>
        <source>第 {n} 版</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="50"/>
        <source>本机站点标识：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="53"/>
        <source>数据概况</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="61"/>
        <source>按 Ctrl+1 … Ctrl+0 切换左侧页面</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/dashboard.py" line="64"/>
        <source>刷新数字 (F5)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../../ledgerdesk/ui/error_dialog.py" line="28"/>
        <source>操作没有完成：程序内部出错。详细情况已记录在日志中，请联系技术支持。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/error_dialog.py" line="36"/>
        <source>出错了</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="32"/>
        <source>台账文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="48"/>
        <source>正在创建演示台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="60"/>
        <source>LedgerDesk 基层治理台账 — 开始使用</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="66"/>
        <source>欢迎使用 LedgerDesk 基层治理台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="69"/>
        <source>这台电脑上还没有台账文件。新台账将保存在：
{path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="74"/>
        <location filename="../../ledgerdesk/ui/first_run.py" line="80"/>
        <location filename="../../ledgerdesk/ui/first_run.py" line="118"/>
        <source>新建空白台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="76"/>
        <source>乡镇/街道名称：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="86"/>
        <source>先看看演示</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="88"/>
        <source>生成一个虚构的示范乡镇（约 1.2 万户、4 万人），用来熟悉软件。需要一些时间，可以随时取消。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="91"/>
        <source>创建演示台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="97"/>
        <source>打开已有台账…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="98"/>
        <source>退出</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="118"/>
        <source>请填写乡镇或街道的名称。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/first_run.py" line="130"/>
        <source>打开已有台账</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ledgerdesk/ui/main_window.py" line="39"/>
        <source>LedgerDesk 基层治理台账 — {township}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/main_window.py" line="63"/>
        <source>台账文件：{path}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Navigation</name>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="45"/>
        <source>工作台</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="46"/>
        <source>户籍</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="47"/>
        <source>党员中心户</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="48"/>
        <source>联户长</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="49"/>
        <source>六会</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="50"/>
        <source>走访</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="51"/>
        <source>问题台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="52"/>
        <source>报表打印</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="53"/>
        <source>数据交换</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/__init__.py" line="54"/>
        <source>设置</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PlannedPage</name>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="26"/>
        <source>全乡镇的户和人：户籍花名册。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="28"/>
        <source>户：户号、户主、所属村/小组/网格、住址、电话、标签（留守老人、低保、牧户等）、三色等级（绿/黄/红）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="29"/>
        <source>人：姓名、性别、出生日期、身份证号、电话、与户主关系、党员信息、状态（在册/外出/迁出/去世）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="30"/>
        <source>按姓名、身份证号或电话的一部分快速查找；按村、网格、标签、三色等级筛选</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="31"/>
        <source>身份证号和电话默认隐去中间几位（如 1523**********1234、138****5678），有权限的角色才能看到完整号码</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="32"/>
        <source>身份证号校验位不对时提醒，但仍可加标记保存</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="36"/>
        <source>村党支部确定的党员中心户，以及每户联系的农牧户（一户带一片）。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="38"/>
        <source>中心户名单：中心户主（党员）、六大员类型、“四好四强”评选情况</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="39"/>
        <source>联系户：每户最多归属一个中心户</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="40"/>
        <source>覆盖情况：按村、乡镇统计覆盖率（目标 90% 以上），列出未覆盖的户</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="41"/>
        <source>提醒：联系户过多或过少、中心户主已不是党员或已迁出、六大员类型缺项、四岗一肩挑</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="45"/>
        <source>联户长（十联户）和网格：每户都有人联系、有人巡查。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="47"/>
        <source>联户长名单和每人联系的相邻农户（户数上下限可在设置中调整，如 5–15 户）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="48"/>
        <source>每户应有且只有一位联户长：列出没有联系或重复联系的户</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="49"/>
        <source>网格和网格员：每户属于一个网格，网格员巡查并上报问题</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="53"/>
        <source>各村“六会合一”的组织和活动情况。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="55"/>
        <source>红白理事会、互帮互助会、联防联治会、乡贤参事会、禁毒禁赌会、道德评议会</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="56"/>
        <source>每个村的六会是否成立：会长、副会长、成员、成立日期、章程</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="57"/>
        <source>会议和活动记录：日期、类型、议题、参加人员、决定事项、结果</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="58"/>
        <source>常态化督导：成员是否够、最近一次活动、本季度活动次数，超过 3 个月没有活动的标为不活跃</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="62"/>
        <source>入户走访记录（敲门行动、院坝会、田埂会）。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="64"/>
        <source>走访日期、走访人员、走访的户、发现的情况、群众提出的诉求</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="65"/>
        <source>群众诉求一步转为问题台账里的问题</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="66"/>
        <source>下次走访日期提醒；下乡没有网络时也能在笔记本上录入</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="70"/>
        <source>问题从挂号到销号的全过程台账。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="72"/>
        <source>来源：网格员巡查、群众反映/点单、走访发现、12345 热线工单、信访、上级交办、述职评议</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="73"/>
        <source>流程：登记（挂号）→ 交办 → 办理中 → 办结 → 评价 → 销号；另有退回、延期、重新打开、合并、撤销</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="74"/>
        <source>每一步都留痕；台账编号本乡镇当年唯一，几台电脑离线登记也不会重号</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="75"/>
        <source>办理期限按自然日或工作日（含法定节假日和调休）计算；超期未办结自动黄牌预警</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="76"/>
        <source>统计：受理数、办结数、办结率、按期办结率、满意率、超期未办结数、平均办理天数</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="80"/>
        <source>打印上报和张贴公示用的表格，数字与工作台一致。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="82"/>
        <source>月度问题台账、月度工作简报</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="83"/>
        <source>党员中心户联系户公示表、联户长公示表（身份证号和电话隐去中间几位）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="84"/>
        <source>六会组织及活动情况表、户情卡</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="85"/>
        <source>打印前预览，可直接打印或保存为 PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="89"/>
        <source>在电脑之间交换台账数据，导入导出 Excel。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="91"/>
        <source>用 U 盘或聊天软件附件传递同步文件，笔记本下乡录入的数据回到乡镇</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="92"/>
        <source>两边都改过的内容不会被悄悄覆盖，会列入“待核实”由人确认</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="93"/>
        <source>县里汇总各乡镇的台账</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="94"/>
        <source>从 Excel 花名册导入户籍、问题台账和六会情况，也可导出为 Excel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/planned.py" line="112"/>
        <source>本页面正在建设中，暂无数据。建成后将在这里：</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="24"/>
        <source>台账文件和数据文件夹的位置。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="32"/>
        <source>当前台账文件：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="33"/>
        <source>台账所在文件夹：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="34"/>
        <source>默认数据文件夹：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="37"/>
        <source>文件位置</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="46"/>
        <source>打开文件夹</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/pages/settings.py" line="51"/>
        <source>以后还将在这里设置：账号和角色、中心户和联户长联系户数的上下限、六会多久没有活动算不活跃、自动备份。</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TaskProgressDialog</name>
    <message>
        <location filename="../../ledgerdesk/ui/tasks.py" line="212"/>
        <source>正在准备…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/tasks.py" line="213"/>
        <source>取消</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ledgerdesk/ui/tasks.py" line="230"/>
        <source>正在取消，请稍候…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
