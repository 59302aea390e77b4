//! The API surface of a generated module as a short, stable listing (every
//! public type with its fields and their Rust types, every enum variant,
//! every operation with its parameters and answer), and what changed between
//! two listings, each change `breaking:` or `additive:`.
//!
//! The accepted listings live in `openapi/surface/{module}.txt`; the build
//! prints one cargo warning a change, and a test fails until the new listing
//! is accepted (`ROSTER_ACCEPT_SURFACE=1 cargo test --test it surface`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use quote::ToTokens;
use syn::{Fields, FnArg, ImplItem, Item, ReturnType, Type};

/// A type as the listing writes it: no paths, no spaces.
fn shown(ty: &Type) -> String {
    let text: String = ty
        .to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out = String::new();
    // Keep only the last segment of each path (`::std::vec::Vec` → `Vec`).
    let mut segment = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or_default());
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or_default());
    out
}

/// The inner `T` of `Result<T, String>` (the generated builders' fields).
fn result_inner(ty: &Type) -> Option<&Type> {
    super::calls::first_argument(ty, "Result")
}

fn is_public(visibility: &syn::Visibility) -> bool {
    matches!(visibility, syn::Visibility::Public(_))
}

/// The listing of a generated module, one line an item, sorted; and the
/// nodes of the spec each rewrite touched (`rewrite name /pointer`).
pub fn listing(file: &syn::File, touched: &[super::rewrite::Touched]) -> String {
    let mut lines = Vec::new();
    for rewrite in touched {
        for pointer in &rewrite.pointers {
            lines.push(format!("rewrite {} {pointer}", rewrite.name));
        }
    }
    let mut operations: HashMap<String, String> = HashMap::new();
    let mut builders: HashMap<String, (Vec<String>, String)> = HashMap::new();
    for item in &file.items {
        match item {
            Item::Mod(module) if module.ident == "types" => {
                for item in module.content.iter().flat_map(|(_, items)| items) {
                    types_item(item, &mut lines);
                }
            }
            Item::Mod(module) if module.ident == "builder" => {
                for item in module.content.iter().flat_map(|(_, items)| items) {
                    builder_item(item, &mut builders);
                }
            }
            Item::Impl(block) if shown(&block.self_ty) == "Client" => {
                for item in &block.items {
                    if let ImplItem::Fn(method) = item
                        && is_public(&method.vis)
                        && let ReturnType::Type(_, ty) = &method.sig.output
                    {
                        let builder = shown(ty);
                        let builder = builder.split('<').next().unwrap_or_default().to_owned();
                        operations.insert(builder, method.sig.ident.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    for (builder, name) in &operations {
        let Some((parameters, answer)) = builders.get(builder) else {
            continue;
        };
        lines.push(format!("op {name} -> {answer}"));
        for parameter in parameters {
            lines.push(format!("param {name}.{parameter}"));
        }
    }
    lines.sort();
    lines.dedup();
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn types_item(item: &Item, lines: &mut Vec<String>) {
    match item {
        Item::Struct(model) if is_public(&model.vis) => {
            let name = model.ident.to_string();
            lines.push(format!("type {name}"));
            if let Fields::Named(fields) = &model.fields {
                for field in &fields.named {
                    if let Some(ident) = &field.ident
                        && is_public(&field.vis)
                    {
                        lines.push(format!("field {name}.{ident}: {}", shown(&field.ty)));
                    }
                }
            }
            if let Fields::Unnamed(fields) = &model.fields {
                let inner: Vec<String> = fields
                    .unnamed
                    .iter()
                    .map(|field| shown(&field.ty))
                    .collect();
                lines.push(format!("field {name}.0: {}", inner.join(",")));
            }
        }
        Item::Enum(choice) if is_public(&choice.vis) => {
            let name = choice.ident.to_string();
            lines.push(format!("type {name}"));
            for variant in &choice.variants {
                lines.push(format!("variant {name}::{}", variant.ident));
            }
        }
        _ => {}
    }
}

fn builder_item(item: &Item, builders: &mut HashMap<String, (Vec<String>, String)>) {
    match item {
        Item::Struct(builder) => {
            let name = builder.ident.to_string();
            let mut parameters = Vec::new();
            if let Fields::Named(fields) = &builder.fields {
                for field in &fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let Some(inner) = result_inner(&field.ty) else {
                        continue;
                    };
                    let ty = shown(inner);
                    let required = if ty.starts_with("Option<") {
                        "optional"
                    } else {
                        "required"
                    };
                    parameters.push(format!("{ident}: {ty} ({required})"));
                }
            }
            builders.entry(name).or_default().0 = parameters;
        }
        Item::Impl(block) => {
            let name = shown(&block.self_ty);
            let name = name.split('<').next().unwrap_or_default().to_owned();
            for item in &block.items {
                if let ImplItem::Fn(method) = item
                    && method.sig.ident == "send"
                    && method
                        .sig
                        .inputs
                        .iter()
                        .any(|input| matches!(input, FnArg::Receiver(_)))
                    && let ReturnType::Type(_, ty) = &method.sig.output
                {
                    // `Result<ResponseValue<types::X>, Error<()>>` → `X`.
                    let text = shown(ty);
                    let answer = text
                        .strip_prefix("Result<ResponseValue<")
                        .and_then(|rest| rest.split_once(">,"))
                        .map_or(text.clone(), |(answer, _)| answer.to_owned());
                    builders.entry(name.clone()).or_default().1 = answer;
                }
            }
        }
        _ => {}
    }
}

/// Whether a change breaks code written against the accepted surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Code that compiled may not compile, or may mean something else.
    Breaking,
    /// Only new things.
    Additive,
    /// A rewrite now touches a node of the spec it did not (or no longer
    /// touches one): worth a look, since it changes what is generated there.
    Rewrite,
}

/// One change between two listings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Breaking or additive.
    pub kind: Kind,
    /// The Rust item and why.
    pub text: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Breaking => "breaking",
            Kind::Additive => "additive",
            Kind::Rewrite => "rewrite",
        };
        write!(f, "{kind}: {}", self.text)
    }
}

/// A listing as `key → value` (`field T.f` → its type, `op o` → its answer).
fn entries(listing: &str) -> BTreeMap<String, String> {
    listing
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (key, value) = if line.starts_with("op ") {
                line.split_once(" -> ").unwrap_or((line, ""))
            } else {
                line.split_once(": ").unwrap_or((line, ""))
            };
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// The Rust item a listing key names (`field ImportResults.errorLines` →
/// `types::ImportResults::error_lines`).
fn item(module: &str, key: &str) -> (String, &'static str) {
    let (what, name) = key.split_once(' ').unwrap_or(("", key));
    let (path, noun) = match what {
        "type" => (format!("{module}::types::{name}"), "type"),
        "field" => (
            format!("{module}::types::{}", name.replace('.', "::")),
            "field",
        ),
        "variant" => (format!("{module}::types::{name}"), "enum variant"),
        "op" => (format!("{module}::Client::{name}()"), "operation"),
        "param" => {
            let (operation, parameter) = name.split_once('.').unwrap_or((name, ""));
            (
                format!("{module}::Client::{operation}().{parameter}()"),
                "parameter",
            )
        }
        _ => (key.to_owned(), "item"),
    };
    (path, noun)
}

/// What changed from `accepted` to `current`, breaking changes first.
pub fn compare(module: &str, accepted: &str, current: &str) -> Vec<Change> {
    let before = entries(accepted);
    let after = entries(current);
    let mut changes = Vec::new();
    let mut push = |kind, text| changes.push(Change { kind, text });
    fn rewrite_line(key: &str) -> Option<(&str, &str)> {
        key.strip_prefix("rewrite ")?.split_once(' ')
    }
    for (key, old) in &before {
        if let Some((name, pointer)) = rewrite_line(key) {
            if !after.contains_key(key) {
                push(
                    Kind::Rewrite,
                    format!("`{name}` no longer touches `{pointer}`"),
                );
            }
            continue;
        }
        let (path, noun) = item(module, key);
        match after.get(key) {
            None => push(Kind::Breaking, format!("`{path}` removed ({noun})")),
            Some(new) if new != old => {
                let text = format!("`{path}` changed: `{old}` → `{new}`");
                // Only a required parameter becoming optional, with the same
                // type, is additive.
                let bare = |value: &str| {
                    let value = value
                        .trim_end_matches(" (required)")
                        .trim_end_matches(" (optional)");
                    value
                        .strip_prefix("Option<")
                        .and_then(|inner| inner.strip_suffix('>'))
                        .unwrap_or(value)
                        .to_owned()
                };
                let loosened = old.ends_with("(required)")
                    && new.ends_with("(optional)")
                    && bare(old) == bare(new);
                push(
                    if loosened {
                        Kind::Additive
                    } else {
                        Kind::Breaking
                    },
                    text,
                );
            }
            Some(_) => {}
        }
    }
    for (key, new) in &after {
        if before.contains_key(key) {
            continue;
        }
        if let Some((name, pointer)) = rewrite_line(key) {
            push(Kind::Rewrite, format!("`{name}` now touches `{pointer}`"));
            continue;
        }
        let (path, noun) = item(module, key);
        // What is new inside a new type or a new operation breaks nothing.
        let owner_is_new = match key.split_once(' ') {
            Some(("field", name)) => name
                .split_once('.')
                .is_some_and(|(owner, _)| !before.contains_key(&format!("type {owner}"))),
            Some(("param", name)) => name
                .split_once('.')
                .is_some_and(|(operation, _)| !before.contains_key(&format!("op {operation}"))),
            _ => false,
        };
        let required = !owner_is_new
            && ((key.starts_with("field ")
                && !new.starts_with("Option<")
                && !new.starts_with("Vec<"))
                || new.ends_with("(required)"));
        if required {
            push(
                Kind::Breaking,
                format!("`{path}` added as a required {noun} (`{new}`)"),
            );
        } else if new.is_empty() {
            push(Kind::Additive, format!("`{path}` added ({noun})"));
        } else {
            push(Kind::Additive, format!("`{path}` added ({noun}, `{new}`)"));
        }
    }
    changes.sort();
    changes
}
