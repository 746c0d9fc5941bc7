"""The study's platform taxonomy, with bilingual labels (seed study, sections 2.2-2.3).

Each vocabulary maps a stable code (used in data, URLs and filters) to ``(zh, en)`` labels.
"""

from __future__ import annotations

Labels = dict[str, tuple[str, str]]

PLATFORM_TYPES: Labels = {
    "basic_condition": ("基础条件服务平台", "Basic condition service"),
    "public_technology": ("公共与专业技术服务平台", "Public & professional technology service"),
    "transformation_cluster": (
        "成果转化服务与产业化集群平台",
        "Achievement transformation & industrialization cluster",
    ),
}

SUB_KINDS: Labels = {
    "literature": ("科技文献共享", "Literature sharing"),
    "data": ("科学数据共享", "Scientific data sharing"),
    "instrument_sharing": ("仪器设备共享", "Instrument sharing"),
    "experimental_animals": ("实验动物公共服务", "Experimental animals"),
    "natural_resources": ("自然科技资源共享", "Natural resources sharing"),
    "professional_rnd": ("专业研发服务", "Professional R&D service"),
    "testing": ("检测服务", "Testing service"),
    "information": ("信息服务", "Information service"),
    "human_resources": ("人力资源服务", "Human resources"),
    "investment_financing": ("投融资服务", "Investment & financing"),
    "key_laboratory": ("重点实验室", "Key laboratory"),
    "engineering_center": ("工程(技术)研究中心", "Engineering research centre"),
    "clinical_research": ("临床研究", "Clinical research"),
    "incubator": ("孵化器", "Incubator"),
    "accelerator": ("加速器", "Accelerator"),
    "park": ("产业园区", "Industry park"),
    "technology_transfer": ("技术转移", "Technology transfer"),
}

#: Which sub-kinds belong to which type (a platform's sub-kind must fit its type).
SUB_KINDS_BY_TYPE: dict[str, frozenset[str]] = {
    "basic_condition": frozenset(
        {"literature", "data", "instrument_sharing", "experimental_animals", "natural_resources"}
    ),
    "public_technology": frozenset(
        {
            "professional_rnd",
            "testing",
            "experimental_animals",
            "information",
            "human_resources",
            "investment_financing",
            "key_laboratory",
            "engineering_center",
            "clinical_research",
        }
    ),
    "transformation_cluster": frozenset(
        {"incubator", "accelerator", "park", "technology_transfer"}
    ),
}

FIELDS: Labels = {
    "drug_rnd": ("药物研发", "Drug R&D"),
    "biotechnology": ("生物技术", "Biotechnology"),
    "medical_research": ("医学研究", "Medical research"),
    "experimental_animals": ("实验动物", "Experimental animals"),
    "instruments_software": ("仪器与软件", "Instruments & software"),
    "agriculture": ("农业", "Agriculture"),
    "other": ("其他", "Other"),
}

SUPPORTING_UNITS: Labels = {
    "university": ("高校", "University"),
    "research_institute": ("科研院所", "Research institute"),
    "medical_institution": ("医疗机构", "Medical institution"),
    "enterprise": ("企业", "Enterprise"),
    "government": ("政府机构", "Government"),
    "intermediary": ("科技中介", "S&T intermediary"),
}

LEVELS: Labels = {
    "national": ("国家级", "National"),
    "provincial": ("省级", "Provincial"),
    "municipal": ("市级", "Municipal"),
    "district": ("区级", "District"),
    "none": ("未定级", "Unrated"),
}

CHAIN_STAGES: Labels = {
    "basic_research": ("基础研究", "Basic research"),
    "applied_rnd": ("应用研发/药物设计", "Applied R&D / drug design"),
    "pilot_production": ("中试与生产", "Pilot testing & production"),
    "transformation": ("成果转化/孵化", "Transformation / incubation"),
}

PRECISIONS: Labels = {
    "exact": ("精确坐标", "Exact"),
    "building": ("建筑", "Building"),
    "campus": ("园区/校区", "Campus"),
    "landmark": ("地标", "Landmark"),
    "road": ("道路", "Road"),
    "street": ("街道", "Street (jiedao)"),
    "town": ("镇", "Town"),
    "district": ("区", "District"),
}

VERIFICATION: Labels = {
    "verified": ("已核实", "Verified"),
    "sourced": ("有来源", "Sourced"),
    "sourced_weak": ("来源较弱", "Weakly sourced"),
    "unverified": ("未核实", "Unverified"),
}

VOCABULARIES: dict[str, Labels] = {
    "type": PLATFORM_TYPES,
    "sub_kind": SUB_KINDS,
    "fields": FIELDS,
    "supporting_unit": SUPPORTING_UNITS,
    "level": LEVELS,
    "chain_stages": CHAIN_STAGES,
    "coord_precision": PRECISIONS,
    "verification": VERIFICATION,
}


def label(vocabulary: str, code: str, lang: str = "zh") -> str:
    """Return the label of ``code`` in ``vocabulary`` (``zh`` or ``en``); the code if unknown."""
    pair = VOCABULARIES.get(vocabulary, {}).get(code)
    if pair is None:
        return code
    return pair[0] if lang == "zh" else pair[1]
