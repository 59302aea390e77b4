//! What a [`CheckedImport`] says, read at one path whatever its variant:
//! whether it was applied, its `summaryId`s, how many user locations it
//! created.

use super::import::CheckedImport;
use super::outcome::ImportOutcome;
use super::types;

/// ```no_run
/// use roster::office::{self, CsvSource};
///
/// # async fn run(office: office::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let outcome = office.checked_import(CsvSource::path("locations.csv")).execute().await?;
/// if outcome.applied() {
///     println!("created {:?} as {:?}", outcome.created(), outcome.summary_ids());
/// }
/// # Ok(()) }
/// ```
impl CheckedImport {
    /// Whether Lucca applied it (created, in full or in parts, its results
    /// read or not, or resumed from an earlier run).
    pub fn applied(&self) -> bool {
        !matches!(self, Self::Rejected { .. } | Self::AnalysisUnread { .. })
    }

    /// The creations' `summaryId`s, in order (none when nothing was
    /// created, or a result answered none).
    pub fn summary_ids(&self) -> Vec<uuid::Uuid> {
        match self {
            Self::Rejected { .. } | Self::AnalysisUnread { .. } => Vec::new(),
            Self::Created { results, .. } => id_of(results).into_iter().collect(),
            Self::CreatedUnread { results, .. } => vec![results.summary_id],
            Self::Resumed { summary_id, .. } => vec![*summary_id],
            Self::CreatedInParts { parts, .. } => {
                parts.iter().map(|part| part.summary_id).collect()
            }
        }
    }

    /// The one creation's `summaryId` (none for a file created in parts:
    /// see [`summary_ids`](Self::summary_ids)).
    pub fn summary_id(&self) -> Option<uuid::Uuid> {
        match self.summary_ids()[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// User locations created, all parts together, when every count could
    /// be read.
    pub fn created(&self) -> Option<i64> {
        match self {
            Self::Rejected { .. } | Self::AnalysisUnread { .. } => Some(0),
            Self::Created { results, .. } => created_of(results),
            Self::CreatedUnread { results, .. } => results.created,
            Self::Resumed { outcome, .. } => outcome_created(outcome),
            Self::CreatedInParts { parts, .. } => parts
                .iter()
                .map(|part| outcome_created(&part.outcome))
                .sum(),
        }
    }
}

fn id_of(results: &types::ImportResults) -> Option<uuid::Uuid> {
    results.summary_id.as_deref()?.parse().ok()
}

fn created_of(results: &types::ImportResults) -> Option<i64> {
    results
        .user_locations_created_summary
        .as_ref()
        .and_then(|summary| summary.count)
        .map(i64::from)
}

fn outcome_created(outcome: &ImportOutcome) -> Option<i64> {
    match outcome {
        ImportOutcome::Results(results) => created_of(results),
        ImportOutcome::ReadPartially(partial) => partial.created,
        ImportOutcome::Analysis(_) => None,
    }
}
