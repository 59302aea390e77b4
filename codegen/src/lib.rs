//! `roster-codegen`: how `roster`'s clients are made from the vendored
//! OpenAPI specs. `roster`'s build script runs it; the `roster` command
//! line's `spec diff` runs it on a vendor's newer spec.
//!
//! - [`rewrite`]: what progenitor cannot take, rewritten in memory, each
//!   rewrite named and traced;
//! - [`generate`]: progenitor's generation, formatted by prettyplease;
//! - [`calls`]: every generated operation routed through roster's one
//!   request path (progenitor's hooks unused);
//! - [`facts`]: every operation (`roster::Operation`), and the names the
//!   handwritten layer sends operations with (parts, query and path
//!   parameters);
//! - [`patch`]: a partial update's setters, from the spec's update schema;
//! - [`tolerate`]: every generated model made to read answers tolerantly;
//! - [`surface`]: the public surface listed, and a listing compared with the
//!   accepted one (breaking or additive);
//! - [`public_api`]: the handwritten layer's public API, listed from
//!   rustdoc's JSON;
//! - [`spec_error`]: a spec that cannot be generated, named by its JSON
//!   pointer.

pub mod calls;
pub mod facts;
pub mod generate;
pub mod patch;
pub mod public_api;
pub mod rewrite;
pub mod spec_error;
pub mod surface;
pub mod tolerate;
