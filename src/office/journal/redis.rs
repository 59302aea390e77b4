//! The journal in Redis, for several machines: one hash per tenant and file,
//! each step one Lua script (the check and the record of a claim cannot be
//! split by another worker). The rules are the SQLite journal's, written
//! again in Lua: a claim is refused while the earlier entry is not done, or
//! done within the window; an accepted or done entry is never forgotten.

use std::time::Duration;

use ::redis::Script;
use chrono::Utc;

use super::{Claim, JournalEntry, JournalError, JournalState, Resolution};
use crate::shared::RedisStore;

/// KEYS: the entry. ARGV: now (milliseconds since the epoch), now (RFC
/// 3339), the window (milliseconds), `1` when the repeat is allowed, the
/// attempt. Answers `refused` or `claimed`, then the earlier entry's state,
/// summary id and time when there was one.
const CLAIM: &str = r"
local earlier = redis.call('HMGET', KEYS[1], 'state', 'summary_id', 'at', 'at_ms')
if earlier[1] then
  local at = tonumber(earlier[4])
  local recent = (not at) or (tonumber(ARGV[1]) - at < tonumber(ARGV[3]))
  if ARGV[4] ~= '1' and (earlier[1] ~= 'done' or recent) then
    return {'refused', earlier[1], earlier[2] or '', earlier[3] or ''}
  end
end
redis.call('HSET', KEYS[1], 'state', 'sending', 'at', ARGV[2], 'at_ms', ARGV[1], 'attempt', ARGV[5])
redis.call('HDEL', KEYS[1], 'summary_id')
if earlier[1] then
  return {'claimed', earlier[1], earlier[2] or '', earlier[3] or ''}
end
return {'claimed'}
";

/// KEYS: the entry. ARGV: `state` (write this state whatever the entry
/// holds), `restore` (put the earlier entry back) or `forget` (delete it),
/// the attempt, the state, the summary id (empty for none), the time (RFC
/// 3339), the time (milliseconds). `restore` and `forget` act only while
/// the entry is still this attempt's.
const RECORD: &str = r"
local mine = redis.call('HGET', KEYS[1], 'attempt') == ARGV[2]
if ARGV[1] == 'state' then
  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'at', ARGV[5], 'at_ms', ARGV[6], 'attempt', ARGV[2])
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'summary_id', ARGV[4])
  end
elseif mine and ARGV[1] == 'forget' then
  redis.call('DEL', KEYS[1])
elseif mine then
  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'at', ARGV[5], 'at_ms', ARGV[6])
  redis.call('HDEL', KEYS[1], 'attempt')
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'summary_id', ARGV[4])
  else
    redis.call('HDEL', KEYS[1], 'summary_id')
  end
end
return 0
";

/// KEYS: the entry. ARGV: `applied` or `not-applied`, now (RFC 3339), now
/// (milliseconds). Answers the entry as it was (state, summary id, time),
/// or nothing.
const RESOLVE: &str = r"
local entry = redis.call('HMGET', KEYS[1], 'state', 'summary_id', 'at')
if not entry[1] then
  return {}
end
if ARGV[1] == 'applied' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'at', ARGV[2], 'at_ms', ARGV[3])
elseif entry[1] ~= 'accepted' and entry[1] ~= 'done' then
  redis.call('DEL', KEYS[1])
end
return {entry[1], entry[2] or '', entry[3] or ''}
";

/// The journal's scripts, loaded once.
struct Scripts {
    claim: Script,
    record: Script,
    resolve: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::LazyLock<Scripts> = std::sync::LazyLock::new(|| Scripts {
        claim: Script::new(CLAIM),
        record: Script::new(RECORD),
        resolve: Script::new(RESOLVE),
    });
    &SCRIPTS
}

/// The journal in a [`RedisStore`].
pub(super) struct RedisJournal {
    store: RedisStore,
}

impl RedisJournal {
    pub(super) fn new(store: &RedisStore) -> Self {
        Self {
            store: store.clone(),
        }
    }

    pub(super) fn store(&self) -> &RedisStore {
        &self.store
    }

    fn key(&self, tenant: &str, sha256: &str) -> String {
        self.store.key(tenant, &format!("import:{sha256}"))
    }

    pub(super) async fn entry(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Option<JournalEntry>, JournalError> {
        let mut connection = self
            .store
            .connection()
            .await
            .map_err(JournalError::Shared)?;
        let fields: Vec<Option<String>> = ::redis::cmd("HMGET")
            .arg(self.key(tenant, sha256))
            .arg(&["state", "summary_id", "at"])
            .query_async(&mut connection)
            .await
            .map_err(|source| JournalError::Shared(self.store.failed(source)))?;
        Ok(entry(
            tenant,
            sha256,
            fields.into_iter().map(Option::unwrap_or_default),
        ))
    }

    pub(super) async fn claim(
        &self,
        tenant: &str,
        sha256: &str,
        allow_repeat: bool,
        window: Duration,
    ) -> Result<Result<Claim, JournalEntry>, JournalError> {
        let now = Utc::now();
        let attempt = uuid::Uuid::new_v4().to_string();
        let window = window.as_millis().min(i64::MAX as u128).to_string();
        let answer: Vec<String> = self
            .store
            .run(
                &scripts().claim,
                &[&self.key(tenant, sha256)],
                &[
                    &now.timestamp_millis().to_string(),
                    &now.to_rfc3339(),
                    &window,
                    if allow_repeat { "1" } else { "0" },
                    &attempt,
                ],
            )
            .await
            .map_err(JournalError::Shared)?;
        let mut answer = answer.into_iter();
        let claimed = answer.next().as_deref() == Some("claimed");
        let earlier = entry(tenant, sha256, answer);
        Ok(match (claimed, earlier) {
            (true, earlier) => Ok(Claim { attempt, earlier }),
            (false, Some(earlier)) => Err(earlier),
            // A refusal always names the earlier entry; an answer without
            // one is not this script's: the careful reading refuses.
            (false, None) => Err(JournalEntry::read(tenant, sha256, "", None, "")),
        })
    }

    pub(super) async fn record(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
        state: Option<(JournalState, Option<&str>)>,
    ) -> Result<(), JournalError> {
        let now = Utc::now();
        let (what, state, summary_id, at) = match (state, &claim.earlier) {
            (Some((state, summary_id)), _) => ("state", state, summary_id, now),
            (None, None) => ("forget", JournalState::Unknown, None, now),
            (None, Some(earlier)) => (
                "restore",
                earlier.state,
                earlier.summary_id.as_deref(),
                earlier.at,
            ),
        };
        self.store
            .run::<i64>(
                &scripts().record,
                &[&self.key(tenant, sha256)],
                &[
                    what,
                    &claim.attempt,
                    state.as_str(),
                    summary_id.unwrap_or_default(),
                    &at.to_rfc3339(),
                    &at.timestamp_millis().to_string(),
                ],
            )
            .await
            .map(drop)
            .map_err(JournalError::Shared)
    }

    pub(super) async fn resolve(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
    ) -> Result<Option<JournalEntry>, JournalError> {
        let now = Utc::now();
        let answer: Vec<String> = self
            .store
            .run(
                &scripts().resolve,
                &[&self.key(tenant, sha256)],
                &[
                    match resolution {
                        Resolution::Applied => "applied",
                        Resolution::NotApplied => "not-applied",
                    },
                    &now.to_rfc3339(),
                    &now.timestamp_millis().to_string(),
                ],
            )
            .await
            .map_err(JournalError::Shared)?;
        Ok(entry(tenant, sha256, answer.into_iter()))
    }
}

/// The entry of a script's answer (state, summary id, time), if it names
/// one.
fn entry(
    tenant: &str,
    sha256: &str,
    mut fields: impl Iterator<Item = String>,
) -> Option<JournalEntry> {
    let state = fields.next().filter(|state| !state.is_empty())?;
    let summary_id = fields.next();
    let at = fields.next().unwrap_or_default();
    Some(JournalEntry::read(tenant, sha256, &state, summary_id, &at))
}
