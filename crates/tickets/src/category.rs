//! What the public may report (the services of Open311 and the 举报 form):
//! code, Chinese and English names, group (management.md §6.4).

/// code, name_zh, name_en, group_zh, description
pub const CATEGORIES: &[(&str, &str, &str, &str, &str)] = &[
    ("dust", "扬尘", "Dust", "大气", "工地、道路、堆场扬尘"),
    (
        "smoke",
        "烟气黑烟",
        "Smoke",
        "大气",
        "烟囱冒黑烟、锅炉窑炉烟气",
    ),
    (
        "straw_burning",
        "秸秆焚烧",
        "Straw burning",
        "大气",
        "田间焚烧秸秆",
    ),
    (
        "open_burning",
        "露天焚烧",
        "Open burning",
        "大气",
        "焚烧垃圾、落叶、废料",
    ),
    (
        "odour",
        "异味",
        "Odour",
        "大气",
        "化工、喷涂、餐饮油烟等异味",
    ),
    (
        "vehicle",
        "机动车冒黑烟",
        "Smoky vehicle",
        "大气",
        "柴油车、非道路机械冒黑烟",
    ),
    ("other", "其他", "Other", "其他", "其他生态环境问题"),
];

/// The category of `code`: (code, name_zh, name_en, group, description).
pub fn category(
    code: &str,
) -> Option<&'static (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    CATEGORIES.iter().find(|c| c.0 == code)
}
