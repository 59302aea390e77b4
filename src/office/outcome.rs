//! Reading an import's analysis or results as a stream: a million-row
//! import's answer holds a description of every user location, hundreds of
//! megabytes. Counts, error lines and warning lines are kept; descriptions
//! go to a callback and are kept up to a bound. So the outcome of an import
//! of any size is read, in flat memory, and never lost to the answer bound.
//! What an import ended with ([`ImportOutcome`]) is defined here; the
//! waiter (`wait.rs`) polls until there is one to read.

use std::fmt;
use std::io::{self, BufReader, Read};

use futures_util::TryStreamExt;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::generated::names::schemas::{
    described_count, import_analysis as analysis, import_results as results,
};
use super::upload::ImportMode;
use super::{Client, types};
use crate::error::HttpError;
use crate::operation::Operation;
use crate::transport::Options;

/// What an import ended with. Deliberately not `#[non_exhaustive]`, as
/// [`CheckedImport`](super::CheckedImport): a new outcome must fail your
/// `match` to compile.
#[derive(Debug)]
pub enum ImportOutcome {
    /// The analysis of a simulation.
    Analysis(types::ImportAnalysis),
    /// The results of a creation.
    Results(types::ImportResults),
    /// The import is done (its progress reached 100), but its analysis or
    /// results did not read into the typed model: what could be read, and
    /// the raw answer. A creation in this state **was applied**.
    ReadPartially(PartialOutcome),
}

/// An import's outcome read as far as it could be: the import is done.
#[derive(Debug)]
#[non_exhaustive]
pub struct PartialOutcome {
    /// Simulation or creation (a creation was applied).
    pub mode: ImportMode,
    /// The import.
    pub summary_id: uuid::Uuid,
    /// User locations created (or, simulated, to create), if that count
    /// could be read.
    pub created: Option<i64>,
    /// User locations deleted (or to delete), if that count could be read.
    pub deleted: Option<i64>,
    /// How many error lines the answer holds, if they could be counted.
    pub error_lines: Option<usize>,
    /// The answer as JSON, when it was JSON.
    pub raw: Option<serde_json::Value>,
    /// Why it did not read into the typed model (its body is the raw answer).
    pub error: HttpError,
}

impl PartialOutcome {
    /// An outcome of the other kind than `mode` reads (an analysis where a
    /// creation's results were read, say): no typed outcome of `mode`, so
    /// what came is kept as the raw answer.
    pub(crate) fn mismatched(
        mode: ImportMode,
        summary_id: uuid::Uuid,
        came: &impl serde::Serialize,
    ) -> Self {
        let (operation, wanted) = match mode {
            ImportMode::Simulate => (
                Operation::GetOfficeApiImportsUserLocationsAnalysis,
                "an analysis",
            ),
            ImportMode::Create => (
                Operation::GetOfficeApiImportsUserLocationsResults,
                "results",
            ),
        };
        let source = <serde_json::Error as serde::de::Error>::custom(format!(
            "{wanted} asked for, another kind of outcome came"
        ));
        let body = serde_json::to_vec(came).unwrap_or_default();
        Self::new(
            mode,
            summary_id,
            HttpError::InvalidAnswer {
                operation,
                body: body.into(),
                source,
            },
        )
    }

    pub(crate) fn new(mode: ImportMode, summary_id: uuid::Uuid, error: HttpError) -> Self {
        let raw = error.answer_json();
        let (created_key, deleted_key, error_lines) = match mode {
            ImportMode::Simulate => (
                analysis::VALID_USER_LOCATIONS_TO_CREATE_SUMMARY,
                analysis::USER_LOCATIONS_TO_DELETE_SUMMARY,
                analysis::ERROR_LINES,
            ),
            ImportMode::Create => (
                results::USER_LOCATIONS_CREATED_SUMMARY,
                results::USER_LOCATIONS_DELETED_SUMMARY,
                results::ERROR_LINES,
            ),
        };
        let count = |key: &str| {
            let count = raw.as_ref()?.get(key)?.get(described_count::COUNT)?;
            crate::tolerant::integer::<_, i64>(count).ok()
        };
        Self {
            mode,
            summary_id,
            created: count(created_key),
            deleted: count(deleted_key),
            error_lines: raw
                .as_ref()
                .and_then(|raw| raw.get(error_lines)?.as_array().map(Vec::len)),
            raw,
            error,
        }
    }
}

/// How many descriptions of each summary an outcome keeps by default (the
/// rest are counted by the summary's `count`, and passed to the callback).
pub const KEPT_DESCRIPTIONS: usize = 1000;

/// How much of an outcome that is not JSON is kept, to show.
const HEAD: usize = 64 * 1024;

/// What becomes of the descriptions of an outcome's summaries.
pub(crate) struct Descriptions<'a, 'f> {
    /// Kept in the outcome, per summary.
    pub(crate) keep: usize,
    /// Called with each, in order.
    pub(crate) each: Option<&'a mut (dyn FnMut(&str) + Send + 'f)>,
}

impl fmt::Debug for Descriptions<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Descriptions")
            .field("keep", &self.keep)
            .field("each", &self.each.is_some())
            .finish()
    }
}

/// Reads the analysis (of a simulation) or the results (of a creation) of
/// `summary_id` as a stream.
pub(crate) async fn read_outcome(
    client: &Client,
    summary_id: uuid::Uuid,
    mode: ImportMode,
    options: Options,
    descriptions: &mut Descriptions<'_, '_>,
) -> Result<ImportOutcome, HttpError> {
    let id = summary_id.to_string();
    let (operation, body) = match mode {
        ImportMode::Simulate => (
            Operation::GetOfficeApiImportsUserLocationsAnalysis,
            client
                .get_office_api_imports_user_locations_analysis()
                .summary_id(&id)
                .options(options)
                .open()
                .await?,
        ),
        ImportMode::Create => (
            Operation::GetOfficeApiImportsUserLocationsResults,
            client
                .get_office_api_imports_user_locations_results()
                .summary_id(&id)
                .options(options)
                .open()
                .await?,
        ),
    };
    let stream = http_body_util::BodyDataStream::new(body).map_err(io::Error::other);
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<String>(1024);
    let keep = descriptions.keep;
    let pass = descriptions.each.is_some();
    // Dropping this read (a cancelled wait) stops the blocking thread's
    // download at its next read.
    let cancelled = Cancelled::default();
    let stop = std::sync::Arc::clone(&cancelled.0);
    let parse = tokio::task::spawn_blocking(move || {
        let mut head = Head::new(reader, stop);
        let parsed = {
            let mut json = serde_json::Deserializer::from_reader(BufReader::new(&mut head));
            Trimmed {
                keep,
                sender: pass.then_some(&sender),
            }
            .deserialize(&mut json)
            .and_then(|value| json.end().map(|()| value))
        };
        (parsed, head.kept)
    });
    while let Some(description) = receiver.recv().await {
        if let Some(each) = descriptions.each.as_mut() {
            each(&description);
        }
    }
    let (parsed, head) = parse.await.map_err(|error| HttpError::InvalidAnswer {
        operation,
        body: bytes::Bytes::new(),
        source: serde_json::Error::io(io::Error::other(error)),
    })?;
    drop(cancelled);
    let value = parsed.map_err(|source| {
        // An answer cut while it came is no answer (the waiter reads it
        // again), not an answer of the wrong shape.
        if source.is_io() {
            let cause = io::Error::from(source);
            return match cause
                .into_inner()
                .map(|inner| inner.downcast::<reqwest::Error>())
            {
                Some(Ok(cut)) => HttpError::from_reqwest(operation, *cut),
                Some(Err(other)) => HttpError::InvalidAnswer {
                    operation,
                    body: bytes::Bytes::from(head),
                    source: serde_json::Error::io(io::Error::other(other)),
                },
                None => HttpError::InvalidAnswer {
                    operation,
                    body: bytes::Bytes::from(head),
                    source: serde_json::Error::io(io::Error::other("the answer was cut")),
                },
            };
        }
        HttpError::InvalidAnswer {
            operation,
            body: bytes::Bytes::from(head),
            source,
        }
    })?;
    use serde::Deserialize;
    let typed = match mode {
        ImportMode::Simulate => {
            types::ImportAnalysis::deserialize(&value).map(ImportOutcome::Analysis)
        }
        ImportMode::Create => types::ImportResults::deserialize(&value).map(ImportOutcome::Results),
    };
    typed.map_err(|source| HttpError::InvalidAnswer {
        operation,
        body: bytes::Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
        source,
    })
}

/// Set when the read that started a parse is dropped.
#[derive(Default)]
struct Cancelled(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for Cancelled {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A reader that keeps the first [`HEAD`] bytes it reads, to show an answer
/// that is not JSON, and stops once its read was dropped.
struct Head<R> {
    inner: R,
    kept: Vec<u8>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<R> Head<R> {
    fn new(inner: R, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        Self {
            inner,
            kept: Vec::new(),
            stop,
        }
    }
}

impl<R: Read> Read for Head<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(io::Error::other("the wait for this outcome was dropped"));
        }
        let read = self.inner.read(buffer)?;
        let room = HEAD.saturating_sub(self.kept.len()).min(read);
        self.kept.extend_from_slice(&buffer[..room]);
        Ok(read)
    }
}

/// A JSON value, read as it comes, in which every array under a
/// `descriptions` key keeps its first `keep` strings (each is also sent to
/// `sender`, when there is one).
#[derive(Clone, Copy)]
struct Trimmed<'s> {
    keep: usize,
    sender: Option<&'s tokio::sync::mpsc::Sender<String>>,
}

impl<'de> DeserializeSeed<'de> for Trimmed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Trimmed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an import's analysis or results")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == described_count::DESCRIPTIONS {
                map.next_value_seed(Kept(self))?
            } else {
                map.next_value_seed(self)?
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A `descriptions` value: its first strings kept, each sent on.
struct Kept<'s>(Trimmed<'s>);

impl<'de> DeserializeSeed<'de> for Kept<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Kept<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of descriptions")
    }

    // Anything but a list under `descriptions` is read as it is: the
    // generated model's tolerance decides, as for any field.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.0.visit_unit()
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.0.visit_none()
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Value, E> {
        self.0.visit_bool(value)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Value, E> {
        self.0.visit_i64(value)
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Value, E> {
        self.0.visit_u64(value)
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Value, E> {
        self.0.visit_f64(value)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Value, E> {
        self.0.visit_str(value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        self.0.visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Trimmed { keep, sender } = self.0;
        let mut kept = Vec::new();
        while let Some(item) = seq.next_element_seed(self.0)? {
            if let (Some(sender), Value::String(text)) = (sender, &item) {
                // The receiver only goes away with the whole read.
                let _ = sender.blocking_send(text.clone());
            }
            if kept.len() < keep {
                kept.push(item);
            }
        }
        Ok(Value::Array(kept))
    }
}
