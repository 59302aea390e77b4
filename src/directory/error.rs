//! The errors of the users calls: [`DirectoryError`], and
//! [`InvalidValue`], a value given that cannot be sent.

use crate::error::HttpError;

/// A value given that cannot be sent (a `fields` name, a filter value, a
/// field of an update), with the field or parameter it is for and what is
/// wrong; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct InvalidValue {
    /// The JSON name of the field, or the query parameter.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// A users call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// A value given cannot be sent (a `fields` name that is no property
    /// name, a filter value holding a `,`, which Lucca reads as a list
    /// separator); nothing was sent.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// A listing could not go on: the server kept answering users already
    /// given (it ignores the offset) and the order is not by id, so the
    /// pager cannot go on by id either.
    #[error(
        "the listing stopped after {given} user(s) of {total:?}: the server repeats pages (it ignores the offset); order by id to read them all"
    )]
    IncompleteListing {
        /// Users given.
        given: u64,
        /// The total the server announced, if any.
        total: Option<u64>,
    },
    /// A user id must be 1 or more; nothing was sent.
    #[error("{id} is not a user id (ids start at 1)")]
    InvalidId {
        /// The id given.
        id: i64,
    },
    /// The update holds an invalid value; nothing was sent.
    #[error("invalid update of user {user}; nothing was sent")]
    Patch {
        /// The user.
        user: i64,
        /// The field and what is wrong.
        #[source]
        source: InvalidValue,
    },
    /// A request failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Several users have this login.
    #[error("{count} users have the login {login:?}")]
    AmbiguousLogin {
        /// The login.
        login: String,
        /// How many users have it.
        count: usize,
    },
    /// No user has this login.
    #[error("no user has the login {login:?}")]
    UnknownLogin {
        /// The login.
        login: String,
    },
    /// The journal could not be used: the creation was not sent.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// The journal holds this new hire's creation (another run is sending
    /// it now, or it was made recently): not sent again.
    #[error("not created again: {entry}")]
    CreationClaimed {
        /// The new hire's login.
        login: String,
        /// What the journal holds.
        entry: Box<crate::journal::JournalEntry>,
    },
    /// Not sent: the apply was stopped (see
    /// [`ApplySyncRequest::stop_when`](super::ApplySyncRequest::stop_when))
    /// before this user's turn.
    #[error("not sent: the apply was stopped first")]
    Stopped,
    /// A creation got no answer (or a failing one), and reading its login
    /// back found no user: nobody was created, and running again is safe.
    #[error(
        "{login:?} was not created (its creation got no answer, and no user has that login now): safe to run again"
    )]
    NotCreated {
        /// The new hire's login.
        login: String,
        /// What happened to the creation.
        #[source]
        source: HttpError,
    },
    /// A partial update was refused, and it lacks fields the reference page
    /// marks required: this tenant wants whole bodies
    /// ([`UpdateMode::Complete`]). Nothing was changed.
    #[error(
        "the partial update of user {user} was refused; it lacks the required {}: \
         this tenant wants whole bodies (the complete mode)",
        missing.join(", ")
    )]
    PartialRefused {
        /// The user.
        user: i64,
        /// The required fields the body lacked.
        missing: Vec<&'static str>,
        /// The refusal.
        #[source]
        source: HttpError,
    },
    /// The user changed between the complete update's read and its write
    /// (or its `modifiedAt` could not be read, so no change can be ruled
    /// out): nothing was written, so no change is overwritten. Read again
    /// and decide.
    #[error(
        "user {user} changed while being updated (modifiedAt {read:?}, then {now:?}); nothing was written"
    )]
    ConcurrentChange {
        /// The user.
        user: i64,
        /// `modifiedAt` at the read.
        read: Option<String>,
        /// `modifiedAt` just before the write.
        now: Option<String>,
    },
}
