"""The demo data set's fixed tables: organisations, accounts, drugs. Invented names and codes
(the codes carry valid check characters); nothing here describes a real unit or person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.security.orgs import person_code
from generator.identifiers import compose_uscc as uscc

PASSWORD = "Demo@2026yk"  # every demo account; changed at the first sign-in


@dataclass(frozen=True)
class Unit:
    key: str  # how the rest of the data set names it
    code: str
    name: str
    parent: str  # GB/T 2260 county code
    kind: str  # enterprise | institution


UNITS = (
    Unit("ln_hospital1", uscc("12", "210102", "MB0A1001"), "沈阳市和平区第一人民医院", "210102",
         "institution"),
    Unit("ln_hospital2", uscc("12", "210102", "MB0A1002"), "沈阳市和平区中医院", "210102",
         "institution"),
    Unit("ln_maker", uscc("91", "210112", "MA0KR001"), "辽宁康瑞制药有限公司", "210112",
         "enterprise"),
    Unit("ln_importer", uscc("91", "210102", "MA0HN002"), "沈阳海纳医药有限公司", "210102",
         "enterprise"),
    Unit("sc_hospital1", uscc("12", "510104", "MB1C2001"), "成都市锦江区第一人民医院", "510104",
         "institution"),
    Unit("sc_hospital2", uscc("12", "510104", "MB1C2002"), "成都市锦江区中医医院", "510104",
         "institution"),
    Unit("sc_maker", uscc("91", "510107", "MA6YK001"), "四川蜀康药业有限公司", "510107",
         "enterprise"),
    Unit("sc_importer", uscc("91", "510104", "MA6AJ002"), "成都安进医药科技有限公司", "510104",
         "enterprise"),
    # 宁夏 (seed 004): a maker, a wholesaler and a retail pharmacy of 银川市, for the subsystems
    Unit("nx_maker", uscc("91", "640105", "MA7CK001"), "宁夏塞上康源制药有限公司", "640105",
         "enterprise"),
    Unit("nx_wholesale", uscc("91", "640104", "MA7FC002"), "宁夏凤城医药有限公司", "640104",
         "enterprise"),
    Unit("nx_pharmacy", uscc("92", "640104", "MA7KM003"), "银川市兴庆区康民大药房", "640104",
         "enterprise"),
    # 北京 (seed 003, the service portal): an enterprise of 朝阳区 and a 自然人, who holds a unit
    # of their own (kind person) so that their rows are theirs alone
    Unit("bj_maker", uscc("91", "110105", "MA8JK001"), "北京京康医药科技有限公司", "110105",
         "enterprise"),
    Unit("bj_person", person_code("110105", 1), "孙浩然", "110105", "person"),
)
UNIT = {u.key: u for u in UNITS}
# The divisions the units hang under (all in GB/T 2260, loaded with the divisions).
REGIONS = {"ln": ("210000", "210100", "210102"), "sc": ("510000", "510100", "510104"),
           "nx": ("640000", "640100", "640104"), "bj": ("110000", "110105")}
INSTITUTIONS = ("ln_hospital1", "ln_hospital2", "sc_hospital1", "sc_hospital2")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    org: str  # a GB/T 2260 code, "CN", or a Unit key
    name: str
    modules: str | None = None  # 子用户授权 of an agent
    id_no: str | None = None  # 身份证号 (the service portal's people)


ACCOUNTS = (
    Account("sysadmin", "sys_admin", "CN", "王志强"),
    Account("secadmin", "security_admin", "CN", "刘安平"),
    Account("auditadmin", "audit_admin", "CN", "陈静怡"),
    Account("nmpa", "nmpa_regulator", "CN", "李国华"),
    Account("lcb", "national", "CN", "周建民"),
    Account("ln_admin", "sys_admin", "210000", "张伟"),
    Account("ln_reg", "province_regulator", "210000", "赵丽"),
    Account("ln_province", "province", "210000", "孙建军"),
    Account("ln_city", "city", "210100", "马洪涛"),
    Account("ln_county", "county", "210102", "高静"),
    Account("ln_hospital1", "institution", "ln_hospital1", "刘洋"),
    Account("ln_hospital2", "institution", "ln_hospital2", "杨帆"),
    Account("ln_legal", "legal_person", "ln_maker", "郑国栋"),
    Account("ln_agent", "agent", "ln_maker", "吴敏", modules="export_dossier"),
    Account("ln_import", "legal_person", "ln_importer", "何志远"),
    Account("sc_admin", "sys_admin", "510000", "黄勇"),
    Account("sc_reg", "province_regulator", "510000", "罗晓燕"),
    Account("sc_province", "province", "510000", "唐明"),
    Account("sc_city", "city", "510100", "邓磊"),
    Account("sc_county", "county", "510104", "曾红"),
    Account("sc_hospital1", "institution", "sc_hospital1", "彭静"),
    Account("sc_hospital2", "institution", "sc_hospital2", "谢娟"),
    Account("sc_legal", "legal_person", "sc_maker", "蒋涛"),
    Account("sc_agent", "agent", "sc_maker", "冯雪", modules="export_dossier"),
    Account("sc_import", "legal_person", "sc_importer", "卢俊"),
    # 宁夏回族自治区 → 银川市 → 兴庆区: the smart-regulation subsystems of seed 004
    Account("nx_admin", "sys_admin", "640000", "马文斌"),
    Account("nx_reg", "province_regulator", "640000", "田晓梅"),
    Account("nx_leader", "leader", "640000", "白振宇"),
    Account("nx_city", "city", "640100", "杨志刚"),
    Account("nx_city_leader", "leader", "640100", "丁海燕"),
    Account("nx_county", "county", "640104", "冯立新"),
    Account("nx_inspector", "inspector", "640104", "海军"),
    Account("nx_inspector2", "inspector", "640104", "苏婷"),
    Account("nx_maker", "legal_person", "nx_maker", "李明远"),
    Account("nx_wholesale", "legal_person", "nx_wholesale", "王立军"),
    Account("nx_pharmacy", "legal_person", "nx_pharmacy", "张秀兰"),
    # 北京市 → 朝阳区: the two sides of the service portal (seed 003), an enterprise and a person
    Account("bj_admin", "sys_admin", "110000", "周晓东"),
    Account("bj_reg", "province_regulator", "110000", "韩雪"),
    Account("bj_legal", "legal_person", "bj_maker", "钱家豪", id_no="110105197905082341"),
    Account("bj_person", "citizen", "bj_person", "孙浩然", id_no="110105198803121236"),
)

# -- enterprises -------------------------------------------------------------------------------
ENTERPRISE_INFO = {  # unit key -> (kind, legal representative, contact, mobile, address)
    "ln_maker": ("manufacturer", "郑国栋", "吴敏", "13904001201",
                 "辽宁省沈阳市浑南区创新路 88 号"),
    "ln_importer": ("overseas_agent", "何志远", "何志远", "13904001302",
                    "辽宁省沈阳市和平区南京北街 26 号"),
    "sc_importer": ("overseas_agent", "卢俊", "卢俊", "13908002403",
                    "四川省成都市锦江区东大街 168 号"),
    # sc_maker has none: its legal person meets the module gates
    "nx_maker": ("manufacturer", "李明远", "马丽", "13909511101",
                 "宁夏回族自治区银川市西夏区文萃南街 66 号"),
    "nx_wholesale": ("other", "王立军", "王立军", "13909511202",
                     "宁夏回族自治区银川市兴庆区解放东街 120 号"),
    "nx_pharmacy": ("other", "张秀兰", "张秀兰", "13909511303",
                    "宁夏回族自治区银川市兴庆区鼓楼南街 18 号"),
}


@dataclass(frozen=True)
class Drug:
    approval: str
    name: str
    form: str
    spec: str
    holder: str
    approved_on: dt.date

    @property
    def imported(self) -> bool:
        return self.approval.startswith("国药准字HJ")


PRODUCTS = (
    Drug("国药准字H20203001", "阿托伐他汀钙片", "tablet", "10mg", "辽宁康瑞制药有限公司",
         dt.date(2020, 3, 16)),
    Drug("国药准字H20213002", "苯磺酸氨氯地平片", "tablet", "5mg", "辽宁康瑞制药有限公司",
         dt.date(2021, 6, 8)),
    Drug("国药准字H20183005", "注射用头孢曲松钠", "injection", "1.0g", "辽宁康瑞制药有限公司",
         dt.date(2018, 11, 2)),
    Drug("国药准字H20193003", "盐酸二甲双胍缓释片", "tablet", "0.5g", "四川蜀康药业有限公司",
         dt.date(2019, 9, 20)),
    Drug("国药准字H20223004", "奥美拉唑肠溶胶囊", "capsule", "20mg", "四川蜀康药业有限公司",
         dt.date(2022, 4, 12)),
    Drug("国药准字HJ20150001", "瑞舒伐他汀钙片", "tablet", "10mg", "Nordica Pharma AB（瑞典）",
         dt.date(2015, 5, 18)),
    Drug("国药准字HJ20150002", "硫酸氢氯吡格雷片", "tablet", "75mg", "Helvetia Pharma AG（瑞士）",
         dt.date(2015, 8, 3)),
    Drug("国药准字HJ20160003", "磷酸西格列汀片", "tablet", "100mg",
         "Sakura Seiyaku K.K.（日本）", dt.date(2016, 2, 25)),
    Drug("国药准字HJ20170004", "孟鲁司特钠片", "tablet", "10mg", "Nordica Pharma AB（瑞典）",
         dt.date(2017, 7, 14)),
    Drug("国药准字HJ20180005", "利伐沙班片", "tablet", "10mg", "Rhein Arznei GmbH（德国）",
         dt.date(2018, 1, 30)),
    Drug("国药准字HJ20190006", "替格瑞洛片", "tablet", "90mg", "Helvetia Pharma AG（瑞士）",
         dt.date(2019, 10, 9)),
)
# imported products bound to the overseas holders' agents; the last LN one is unbound later
BINDINGS = {
    "ln_importer": ("国药准字HJ20150001", "国药准字HJ20150002", "国药准字HJ20160003",
                    "国药准字HJ20170004"),
    "sc_importer": ("国药准字HJ20180005", "国药准字HJ20190006"),
}
UNBOUND = ("ln_importer", "国药准字HJ20170004",
           "境外持有人已变更境内代理人，凭授权终止证明申请解绑。")

# -- procurement -------------------------------------------------------------------------------
PAST_BATCH = "第十批国家组织药品集中采购"
OPEN_BATCH = "第十一批国家组织药品集中采购"
BASELINE_YEAR = 2020  # the Demand field reads 2020年采购量

TABLET = "按片（粒）报量，含普通片、薄膜衣片"
PER_UNIT = "按最小制剂单位报量"
SLOW = "缓释、控释剂型单独报量，不与普通剂型合并"
OPEN_ITEMS = (  # (通用名, 规格, 填报说明)
    ("阿托伐他汀钙片", "10mg", TABLET), ("瑞舒伐他汀钙片", "10mg", TABLET),
    ("苯磺酸氨氯地平片", "5mg", TABLET), ("缬沙坦胶囊", "80mg", PER_UNIT),
    ("厄贝沙坦片", "150mg", TABLET), ("氯沙坦钾片", "50mg", TABLET),
    ("硝苯地平控释片", "30mg", SLOW), ("琥珀酸美托洛尔缓释片", "47.5mg", SLOW),
    ("富马酸比索洛尔片", "5mg", TABLET), ("盐酸二甲双胍缓释片", "0.5g", SLOW),
    ("格列美脲片", "2mg", TABLET), ("阿卡波糖片", "50mg", TABLET),
    ("磷酸西格列汀片", "100mg", TABLET), ("硫酸氢氯吡格雷片", "75mg", TABLET),
    ("阿司匹林肠溶片", "100mg", "肠溶片单独报量"), ("替格瑞洛片", "90mg", TABLET),
    ("利伐沙班片", "10mg", TABLET), ("奥美拉唑肠溶胶囊", "20mg", PER_UNIT),
    ("泮托拉唑钠肠溶片", "40mg", "肠溶片单独报量"), ("雷贝拉唑钠肠溶片", "10mg", "肠溶片单独报量"),
    ("枸橼酸莫沙必利片", "5mg", TABLET), ("头孢呋辛酯片", "0.25g", TABLET),
    ("阿莫西林胶囊", "0.25g", PER_UNIT), ("左氧氟沙星片", "0.5g", TABLET),
    ("阿奇霉素片", "0.25g", TABLET), ("盐酸莫西沙星片", "0.4g", TABLET),
    ("磷酸奥司他韦胶囊", "75mg", PER_UNIT), ("恩替卡韦片", "0.5mg", TABLET),
    ("富马酸替诺福韦二吡呋酯片", "300mg", TABLET), ("孟鲁司特钠片", "10mg", TABLET),
    ("氯雷他定片", "10mg", TABLET), ("布洛芬缓释胶囊", "0.3g", SLOW),
    ("塞来昔布胶囊", "0.2g", PER_UNIT), ("对乙酰氨基酚片", "0.5g", TABLET),
    ("加巴喷丁胶囊", "0.1g", PER_UNIT), ("普瑞巴林胶囊", "75mg", PER_UNIT),
    ("左乙拉西坦片", "0.5g", TABLET), ("盐酸舍曲林片", "50mg", TABLET),
    ("草酸艾司西酞普兰片", "10mg", TABLET), ("奥氮平片", "10mg", TABLET),
    ("阿立哌唑片", "5mg", TABLET), ("盐酸多奈哌齐片", "5mg", TABLET),
    ("盐酸坦索罗辛缓释胶囊", "0.2mg", SLOW), ("非那雄胺片", "5mg", TABLET),
    ("甲钴胺片", "0.5mg", TABLET), ("左甲状腺素钠片", "50μg", TABLET),
    ("别嘌醇片", "0.1g", TABLET), ("非布司他片", "40mg", TABLET),
    ("骨化三醇软胶囊", "0.25μg", PER_UNIT), ("碳酸钙D3片", "0.6g（以钙计）", TABLET),
)
PAST_ITEMS = (
    ("头孢克肟片", "0.1g", TABLET), ("甲硝唑片", "0.2g", TABLET),
    ("硝苯地平缓释片", "20mg", SLOW), ("吲达帕胺片", "2.5mg", TABLET),
    ("格列齐特缓释片", "30mg", SLOW), ("辛伐他汀片", "20mg", TABLET),
    ("兰索拉唑肠溶胶囊", "15mg", PER_UNIT), ("盐酸氨溴索片", "30mg", TABLET),
    ("蒙脱石散", "3g", "按袋报量"), ("维生素B6片", "10mg", TABLET),
)
