//! The journal in Redis, for several machines: one hash per tenant and file,
//! each step one Lua script (the check and the record of a claim cannot be
//! split by another worker), dated on the Redis server's clock. The rules
//! are the SQLite journal's, written again in Lua: a claim is refused while
//! the earlier entry is not done, or done within the window; an accepted or
//! done entry is never forgotten. Every script but the resolution's may be
//! sent twice (after a dropped connection) with the same effect.

use std::time::Duration;

use ::redis::Script;
use chrono::Utc;

use super::{
    Claim, Claiming, JournalEntry, JournalError, JournalState, Pending, Resolution, Resolved, Store,
};
use crate::shared::{RedisStore, Step};

/// The server's time in milliseconds since the epoch: every worker's
/// entries are dated, and compared with the window, on one clock.
const NOW: &str = r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
";

/// KEYS: the entry. ARGV: now (RFC 3339, shown), the window (milliseconds),
/// `1` when the repeat is allowed, the attempt, the owner, the lease
/// (milliseconds). Answers `refused` or `claimed`, then the earlier entry's
/// state, summary id and time when there was one (and, refused, its owner
/// and lease's end). The earlier entry is kept beside the claim (`prev_*`): the
/// same attempt's claim sent again answers the same, and a creation that
/// surely did not leave puts it back.
const CLAIM: &str = r"
local entry = redis.call('HMGET', KEYS[1], 'state', 'summary_id', 'at', 'at_ms', 'attempt',
  'prev_state', 'prev_summary_id', 'prev_at', 'owner', 'lease_ms')
if entry[1] == 'sending' and entry[5] == ARGV[4] then
  if entry[6] and entry[6] ~= '' then
    return {'claimed', entry[6], entry[7] or '', entry[8] or ''}
  end
  return {'claimed'}
end
local now = now_ms()
if entry[1] then
  local at = tonumber(entry[4])
  local recent = (not at) or (now - at < tonumber(ARGV[2]))
  if ARGV[3] ~= '1' and (entry[1] ~= 'done' or recent) then
    return {'refused', entry[1], entry[2] or '', entry[3] or '', entry[9] or '', entry[10] or ''}
  end
end
redis.call('HSET', KEYS[1], 'state', 'sending', 'at', ARGV[1], 'at_ms', now, 'attempt', ARGV[4],
  'owner', ARGV[5], 'lease_ms', now + tonumber(ARGV[6]), 'prev_state', entry[1] or '', 'prev_summary_id', entry[2] or '', 'prev_at', entry[3] or '',
  'prev_at_ms', entry[4] or '')
redis.call('HDEL', KEYS[1], 'summary_id')
if entry[1] then
  return {'claimed', entry[1], entry[2] or '', entry[3] or ''}
end
return {'claimed'}
";

/// KEYS: the entry. ARGV: `state` (write this state whatever the entry
/// holds) or `restore` (put back what the claim found: the earlier entry,
/// or none), the attempt, the state, the summary id (empty for none), now
/// (RFC 3339, shown). `restore` acts only while the entry is still this
/// attempt's claim.
const RECORD: &str = r"
if ARGV[1] == 'state' then
  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'at', ARGV[5], 'at_ms', now_ms(), 'attempt', ARGV[2])
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'summary_id', ARGV[4])
  end
  return 0
end
local entry = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'prev_state', 'prev_summary_id',
  'prev_at', 'prev_at_ms')
if entry[1] ~= 'sending' or entry[2] ~= ARGV[2] then
  return 0
end
if not entry[3] or entry[3] == '' then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[1], 'state', entry[3], 'at', entry[5] or '', 'at_ms', entry[6] or '')
redis.call('HDEL', KEYS[1], 'attempt', 'owner', 'lease_ms')
if entry[4] and entry[4] ~= '' then
  redis.call('HSET', KEYS[1], 'summary_id', entry[4])
else
  redis.call('HDEL', KEYS[1], 'summary_id')
end
return 0
";

/// KEYS: the entry. ARGV: `applied` or `not-applied`, now (RFC 3339,
/// shown). Answers the entry as it was (state, summary id, time, owner,
/// lease's end), then `held` (not applied asked while a run's lease has
/// not run out: left as it is) or `resolved`; or nothing.
const RESOLVE: &str = r"
local entry = redis.call('HMGET', KEYS[1], 'state', 'summary_id', 'at', 'owner', 'lease_ms')
if not entry[1] then
  return {}
end
local shown = {entry[1], entry[2] or '', entry[3] or '', entry[4] or '', entry[5] or ''}
if ARGV[1] == 'not-applied' and tonumber(entry[5]) and tonumber(entry[5]) > now_ms() then
  table.insert(shown, 'held')
  return shown
end
table.insert(shown, 'resolved')
if ARGV[1] == 'applied' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'at', ARGV[2], 'at_ms', now_ms())
elseif entry[1] ~= 'accepted' and entry[1] ~= 'done' then
  redis.call('DEL', KEYS[1])
end
return shown
";

/// KEYS: the entry. ARGV: the attempt, the lease (milliseconds). Runs the
/// lease on while the entry is still that attempt's.
const RENEW: &str = r"
if redis.call('HGET', KEYS[1], 'attempt') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'lease_ms', now_ms() + tonumber(ARGV[2]))
end
return 0
";

/// KEYS: the entry. Answers its state, summary id, time, owner and
/// lease's end.
const ENTRY: &str = r"
return redis.call('HMGET', KEYS[1], 'state', 'summary_id', 'at', 'owner', 'lease_ms')
";

/// The journal's scripts, loaded once.
struct Scripts {
    claim: Script,
    record: Script,
    resolve: Script,
    renew: Script,
    entry: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::LazyLock<Scripts> = std::sync::LazyLock::new(|| Scripts {
        claim: Script::new(&format!("{NOW}{CLAIM}")),
        record: Script::new(&format!("{NOW}{RECORD}")),
        resolve: Script::new(&format!("{NOW}{RESOLVE}")),
        renew: Script::new(&format!("{NOW}{RENEW}")),
        entry: Script::new(ENTRY),
    });
    &SCRIPTS
}

/// The journal in a [`RedisStore`].
pub(super) struct RedisJournal {
    store: RedisStore,
}

impl super::ImportJournal {
    /// The journal in `store`, shared by every machine that uses it
    /// (feature `redis`). Nothing is connected until first used.
    pub fn redis(store: &RedisStore) -> Self {
        Self::of(RedisJournal {
            store: store.clone(),
        })
    }
}

impl Store for RedisJournal {
    fn place(&self) -> String {
        format!("{:?}", self.store)
    }

    fn entries(&self) -> Pending<'_, Vec<JournalEntry>> {
        // Its entries are read one at a time.
        Box::pin(async { Err(JournalError::NotListed) })
    }

    fn entry(&self, tenant: String, sha256: String) -> Pending<'_, Option<JournalEntry>> {
        Box::pin(async move { self.entry_in_redis(&tenant, &sha256).await })
    }

    fn claim(&self, claim: Claiming) -> Pending<'_, Result<Claim, JournalEntry>> {
        // The Redis entry keeps no file name.
        Box::pin(async move { self.claim_in_redis(&claim).await })
    }

    fn record(
        &self,
        tenant: String,
        sha256: String,
        claim: Claim,
        state: Option<(JournalState, Option<String>)>,
    ) -> Pending<'_, ()> {
        Box::pin(async move {
            let state = state.as_ref().map(|(state, id)| (*state, id.as_deref()));
            self.record_in_redis(&tenant, &sha256, &claim, state).await
        })
    }

    fn renew(&self, tenant: String, sha256: String, claim: Claim) -> Pending<'_, ()> {
        Box::pin(async move { self.renew_in_redis(&tenant, &sha256, &claim).await })
    }

    fn resolve(
        &self,
        tenant: String,
        sha256: String,
        resolution: Resolution,
    ) -> Pending<'_, Option<(JournalEntry, Resolved)>> {
        Box::pin(async move { self.resolve_in_redis(&tenant, &sha256, resolution).await })
    }
}

impl RedisJournal {
    fn key(&self, tenant: &str, sha256: &str) -> String {
        self.store.key(tenant, &format!("import:{sha256}"))
    }

    async fn entry_in_redis(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Option<JournalEntry>, JournalError> {
        let fields: Vec<Option<String>> = self
            .store
            .run(
                Step::Repeatable,
                &scripts().entry,
                &[&self.key(tenant, sha256)],
                &[],
            )
            .await
            .map_err(JournalError::Shared)?;
        Ok(entry(
            tenant,
            sha256,
            fields.into_iter().map(Option::unwrap_or_default),
        ))
    }

    async fn claim_in_redis(
        &self,
        claim: &Claiming,
    ) -> Result<Result<Claim, JournalEntry>, JournalError> {
        let (tenant, sha256) = (claim.tenant.as_str(), claim.sha256.as_str());
        let allow_repeat = claim.allow_repeat;
        let window = claim.window;
        let lease = milliseconds(claim.lease);
        let attempt = uuid::Uuid::new_v4().to_string();
        let window = window
            .as_millis()
            .min(u128::from(MAX_WINDOW_MS))
            .to_string();
        let answer: Vec<String> = self
            .store
            .run(
                Step::Repeatable,
                &scripts().claim,
                &[&self.key(tenant, sha256)],
                &[
                    &Utc::now().to_rfc3339(),
                    &window,
                    if allow_repeat { "1" } else { "0" },
                    &attempt,
                    &claim.owner,
                    &lease,
                ],
            )
            .await
            .map_err(JournalError::Shared)?;
        let mut answer = answer.into_iter();
        let claimed = answer.next().as_deref() == Some("claimed");
        let earlier = entry(tenant, sha256, answer);
        Ok(match (claimed, earlier) {
            (true, earlier) => Ok(Claim {
                attempt,
                earlier,
                lease: claim.lease,
            }),
            (false, Some(earlier)) => Err(earlier),
            // A refusal always names the earlier entry; an answer without
            // one is not this script's: the careful reading refuses.
            (false, None) => Err(JournalEntry::read(tenant, sha256, "", None, "")),
        })
    }

    async fn record_in_redis(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
        state: Option<(JournalState, Option<&str>)>,
    ) -> Result<(), JournalError> {
        let (what, state, summary_id) = match state {
            Some((state, summary_id)) => ("state", state.as_str(), summary_id),
            None => ("restore", "", None),
        };
        self.store
            .run::<i64>(
                Step::Record,
                &scripts().record,
                &[&self.key(tenant, sha256)],
                &[
                    what,
                    &claim.attempt,
                    state,
                    summary_id.unwrap_or_default(),
                    &Utc::now().to_rfc3339(),
                ],
            )
            .await
            .map(drop)
            .map_err(JournalError::Shared)
    }

    async fn renew_in_redis(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
    ) -> Result<(), JournalError> {
        self.store
            .run::<i64>(
                Step::Repeatable,
                &scripts().renew,
                &[&self.key(tenant, sha256)],
                &[&claim.attempt, &milliseconds(claim.lease)],
            )
            .await
            .map(drop)
            .map_err(JournalError::Shared)
    }

    async fn resolve_in_redis(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
    ) -> Result<Option<(JournalEntry, Resolved)>, JournalError> {
        let answer: Vec<String> = self
            .store
            .run(
                Step::Once,
                &scripts().resolve,
                &[&self.key(tenant, sha256)],
                &[
                    match resolution {
                        Resolution::Applied => "applied",
                        Resolution::NotApplied => "not-applied",
                    },
                    &Utc::now().to_rfc3339(),
                ],
            )
            .await
            .map_err(JournalError::Shared)?;
        let resolved = match answer.get(5).map(String::as_str) {
            Some("held") => Resolved::Held,
            _ => Resolved::Done,
        };
        Ok(entry(tenant, sha256, answer.into_iter()).map(|entry| (entry, resolved)))
    }
}

/// A duration in milliseconds, as the scripts take it.
fn milliseconds(duration: Duration) -> String {
    duration
        .as_millis()
        .min(u128::from(MAX_WINDOW_MS))
        .to_string()
}

/// The longest window sent to Redis: a hundred years, in milliseconds
/// (a longer one means the same, and Lua's numbers stay exact).
const MAX_WINDOW_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// The entry of a script's answer (state, summary id, time, then owner and
/// lease's end when the script gives them), if it names one.
fn entry(
    tenant: &str,
    sha256: &str,
    mut fields: impl Iterator<Item = String>,
) -> Option<JournalEntry> {
    let state = fields.next().filter(|state| !state.is_empty())?;
    let summary_id = fields.next();
    let at = fields.next().unwrap_or_default();
    let owner = fields.next();
    let until = fields
        .next()
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(chrono::DateTime::from_timestamp_millis);
    Some(JournalEntry::read(tenant, sha256, &state, summary_id, &at).held_by(owner, until))
}
