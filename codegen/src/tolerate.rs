//! "Read tolerantly": after generation, every field of every model that
//! derives `Deserialize` gets a reader that accepts what the vendors may send
//! where their documents are silent: `null` for an empty list, `false` or
//! `""`; an integer sent as text; the other casing of a key ending in an id
//! (`cultureID` / `cultureId`). Serialization is untouched: requests stay
//! exactly as documented. Listed in `openapi/README.md`.

use quote::ToTokens;
use syn::{Attribute, Field, Fields, Item, Type, parse_quote};

/// Applies the tolerant readers to every model of `file`.
pub fn tolerate(file: &mut syn::File) {
    items(&mut file.items);
}

fn items(items: &mut [Item]) {
    for item in items {
        match item {
            Item::Mod(module) => {
                if let Some((_, inner)) = &mut module.content {
                    self::items(inner);
                }
            }
            Item::Struct(model) if derives_deserialize(&model.attrs) => {
                if let Fields::Named(fields) = &mut model.fields {
                    for field in &mut fields.named {
                        tolerate_field(field);
                    }
                }
            }
            _ => {}
        }
    }
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive") && attr.to_token_stream().to_string().contains("Deserialize")
    })
}

/// What a field's `#[serde(…)]` attributes already say.
#[derive(Default)]
struct SerdeSays {
    default: bool,
    reader: bool,
    rename: Option<String>,
}

fn serde_says(field: &Field) -> SerdeSays {
    let mut says = SerdeSays::default();
    for attr in field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
    {
        let _ = attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            if path.is_ident("default") {
                says.default = true;
            } else if path.is_ident("deserialize_with") || path.is_ident("with") {
                says.reader = true;
            } else if path.is_ident("rename") {
                if let Ok(value) = meta.value() {
                    says.rename = value.parse::<syn::LitStr>().ok().map(|name| name.value());
                }
                return Ok(());
            }
            // Skip any value (`skip_serializing_if = "…"`).
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    says
}

/// The last segment of a type's path and its first generic argument.
fn shape(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let inner = match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) => {
            arguments.args.iter().find_map(|argument| match argument {
                syn::GenericArgument::Type(inner) => Some(inner),
                _ => None,
            })
        }
        _ => None,
    };
    Some((last.ident.to_string(), inner))
}

const INTEGERS: [&str; 8] = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"];
const DEFAULTABLE: [&str; 6] = ["Vec", "bool", "String", "HashMap", "BTreeMap", "Map"];

fn tolerate_field(field: &mut Field) {
    let says = serde_says(field);
    if let Some(alias) = says.rename.as_deref().and_then(other_casing) {
        field.attrs.push(parse_quote!(#[serde(alias = #alias)]));
    }
    if says.reader {
        return;
    }
    let has_default = says.default;
    let Some((outer, inner)) = shape(&field.ty) else {
        return;
    };
    let reader = match (outer.as_str(), inner.and_then(shape)) {
        ("Option", Some((inner, _))) if INTEGERS.contains(&inner.as_str()) => {
            "roster::tolerant::optional_integer"
        }
        (outer, _) if INTEGERS.contains(&outer) => "roster::tolerant::integer",
        (outer, _) if DEFAULTABLE.contains(&outer) => "roster::tolerant::null_as_default",
        _ => return,
    };
    let attr: Attribute = if has_default || reader == "roster::tolerant::integer" {
        parse_quote!(#[serde(deserialize_with = #reader)])
    } else {
        parse_quote!(#[serde(default, deserialize_with = #reader)])
    };
    field.attrs.push(attr);
}

/// `cultureID` → `cultureId` and back, for a field renamed to a key ending
/// in an id.
fn other_casing(name: &str) -> Option<String> {
    if let Some(stem) = name.strip_suffix("ID") {
        return (!stem.is_empty()).then(|| format!("{stem}Id"));
    }
    let stem = name.strip_suffix("Id")?;
    (!stem.is_empty()).then(|| format!("{stem}ID"))
}
