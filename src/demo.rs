//! The demo authority: the council book's rules (shipped inside the binary) and generated data.

use std::path::{Path, PathBuf};

/// The shipped rules, as files of the project.
pub const RULES: &[(&str, &str)] = &[
    ("1-setting-the-scene.ind", include_str!("../rules/1-setting-the-scene.ind")),
    ("2-quality-of-practice.ind", include_str!("../rules/2-quality-of-practice.ind")),
    ("3-front-door-and-partnership.ind", include_str!("../rules/3-front-door-and-partnership.ind")),
    ("4-early-help-and-members.ind", include_str!("../rules/4-early-help-and-members.ind")),
    ("sources.ind", include_str!("../rules/sources.ind")),
];

/// Writes the shipped rules under `dir` and returns their directory.
pub fn write_rules(dir: &Path) -> std::io::Result<PathBuf> {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules)?;
    for (name, text) in RULES {
        crate::fsutil::write_atomically(&rules.join(name), text.as_bytes())?;
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_rule_file_is_in_the_demo() {
        let mut shipped: Vec<String> = std::fs::read_dir("rules")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".ind"))
            .collect();
        shipped.sort();
        let demo: Vec<String> = super::RULES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(shipped, demo);
    }
}
