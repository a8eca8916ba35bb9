//! "Did you mean …?": the closest known name to a misspelt one, for every file a user writes
//! (scenarios, baselines, target files) and every name on the command line. A leaf module.

/// The closest of `candidates` to a misspelt `name`, when it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(c, name), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// ` (did you mean "x"?)`, or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_nonsense_finds_none() {
        assert_eq!(closest("chatgtp", ["chatgpt", "generic"]), Some("chatgpt"));
        assert_eq!(closest("zzzzzzzzzz", ["chatgpt", "generic"]), None);
        assert_eq!(
            did_you_mean("generc", ["generic"]),
            " (did you mean \"generic\"?)"
        );
    }
}
