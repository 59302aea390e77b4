//! References by name: an export's `department` (a department's name or
//! code) and `establishment` (an establishment's name) columns, resolved to
//! Lucca's ids with one read of each table the export uses (Lucca's
//! organization lists, read whole). A name matches whatever its case and
//! surrounding spaces; an unknown name or one that several entries carry is
//! refused with the nearest names.

use std::collections::{BTreeMap, BTreeSet};

use super::super::{Client, DirectoryError, keys};

/// One table's entries, by the names they go by.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// What the table holds (`department`), for messages.
    what: &'static str,
    /// Each folded name or code, and the ids that carry it.
    ids: BTreeMap<String, BTreeSet<i64>>,
    /// The names as Lucca writes them, for "did you mean".
    shown: Vec<String>,
}

/// How names compare: trimmed, case folded.
fn fold(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Names {
    fn of(what: &'static str, entries: impl IntoIterator<Item = (i64, Vec<String>)>) -> Self {
        let mut names = Self {
            what,
            ..Self::default()
        };
        for (id, aliases) in entries {
            for (index, alias) in aliases.into_iter().enumerate() {
                if alias.trim().is_empty() {
                    continue;
                }
                names.ids.entry(fold(&alias)).or_default().insert(id);
                if index == 0 {
                    names.shown.push(alias);
                }
            }
        }
        names
    }

    /// Every department, by name and by code: one read of the table.
    pub(crate) async fn departments(client: &Client) -> Result<(Self, u32), DirectoryError> {
        let (departments, requests) = client.all_departments().read().await?;
        let entries = departments.into_iter().map(|department| {
            let aliases = std::iter::once(department.name)
                .chain(department.code)
                .collect();
            (department.id, aliases)
        });
        Ok((Self::of(keys::DEPARTMENT, entries), requests))
    }

    /// Every establishment, by name: one read of the table.
    pub(crate) async fn establishments(client: &Client) -> Result<(Self, u32), DirectoryError> {
        let (establishments, requests) = client.all_establishments().read().await?;
        let entries = establishments
            .into_iter()
            .map(|place| (place.id, vec![place.name]));
        Ok((Self::of("establishment", entries), requests))
    }

    /// The id `name` goes by, or what is wrong with it.
    pub(crate) fn id(&self, name: &str) -> Result<i64, String> {
        match self.ids.get(&fold(name)) {
            Some(ids) if ids.len() == 1 => Ok(*ids.iter().next().unwrap_or(&0)),
            Some(ids) => Err(format!(
                "{} {}s go by {name:?} (ids {}): give the id instead",
                ids.len(),
                self.what,
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => Err(match self.nearest(name) {
                nearest if nearest.is_empty() => format!("no {} is named {name:?}", self.what),
                nearest => format!(
                    "no {} is named {name:?}; nearest: {}",
                    self.what,
                    nearest.join(", ")
                ),
            }),
        }
    }

    /// The three names closest to `name`.
    fn nearest(&self, name: &str) -> Vec<String> {
        let folded = fold(name);
        let mut scored: Vec<(f64, &String)> = self
            .shown
            .iter()
            .map(|shown| (strsim::jaro_winkler(&folded, &fold(shown)), shown))
            .filter(|(score, _)| *score > 0.6)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(3)
            .map(|(_, shown)| format!("{shown:?}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departments() -> Names {
        Names::of(
            "department",
            [
                (1, vec!["Sales".into(), "D01".into()]),
                (2, vec!["Engineering".into(), "D02".into()]),
                (3, vec!["Ventes".into(), "sales".into()]),
            ],
        )
    }

    #[test]
    fn a_name_or_code_matches_whatever_its_case_and_spaces() {
        let names = departments();
        assert_eq!(names.id(" engineering "), Ok(2));
        assert_eq!(names.id("d02"), Ok(2));
    }

    #[test]
    fn an_ambiguous_name_names_its_ids_and_an_unknown_one_the_nearest() {
        let names = departments();
        let ambiguous = names.id("SALES").unwrap_err();
        assert!(ambiguous.contains("ids 1, 3"), "{ambiguous}");
        let unknown = names.id("Enginering").unwrap_err();
        assert!(unknown.contains("nearest: \"Engineering\""), "{unknown}");
    }
}
