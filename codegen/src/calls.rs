//! Every generated operation sends through roster's one request path.
//!
//! progenitor writes, per operation, a builder whose `send` makes the
//! `reqwest::Request` from the spec (path, query, body) and then calls its
//! hooks. Its hooks can only hand a failure back as a string, so roster does
//! not use them: this pass keeps the part of each `send` that makes the
//! request (the spec's knowledge) and replaces the rest. Each builder then
//! has:
//!
//! - `send()`: the answer read as the spec's type, or a typed
//!   `roster::HttpError`;
//! - `answer()` / `open()` (crate-private): the answer's body for the
//!   handwritten layer to read its own way (tolerantly, or as a stream);
//! - `options()` (crate-private): the call's deadline and retries, carried
//!   with the request (never in task-local or global state);
//! - `raw_body()` (crate-private, operations with a JSON body): a body sent
//!   as given (a partial update's changes), instead of the typed one.
//!
//! The client keeps progenitor's fields and gains plain accessors; what only
//! progenitor's hooks needed (`ClientInfo`, `ClientHooks`, `ResponseValue`,
//! `Error`) is gone from the generated module.

use heck::ToUpperCamelCase;
use quote::{ToTokens, format_ident, quote};
use syn::{Fields, ImplItem, Item, ReturnType, Stmt, Type, parse_quote};

/// Routes every builder of `file` (progenitor's output) through the
/// transport. An output of another shape (a newer progenitor) is an error
/// that says what was not found.
pub fn route(file: &mut syn::File) -> Result<(), String> {
    let api_version = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Impl(block) if progenitor_glue(item) => {
                block.items.iter().find_map(|item| match item {
                    ImplItem::Fn(function) if function.sig.ident == "api_version" => {
                        Some(function.block.clone())
                    }
                    _ => None,
                })
            }
            _ => None,
        })
        .ok_or("progenitor's `ClientInfo` impl has no `api_version`")?;
    file.items.retain(|item| !progenitor_glue(item));
    for item in &mut file.items {
        match item {
            Item::Struct(client) if client.ident == "Client" => {
                client.attrs.retain(|attr| !attr.path().is_ident("doc"));
                client.attrs.push(parse_quote!(
                    #[doc = "The client of this API: every operation is a method that returns its request's builder; `send()` sends it through the one request path (rate limit, token, retries, span). Made by a [`Config`](crate::Config)."]
                ));
            }
            Item::Impl(block) if is_client_constructor(block) => {
                *block = parse_quote! {
                    impl Client {
                        /// A client of the API at `baseurl`, sending through `inner`.
                        pub(crate) fn new_with_client(
                            baseurl: &str,
                            client: reqwest::Client,
                            inner: crate::Transport,
                        ) -> Self {
                            Self {
                                baseurl: baseurl.to_string(),
                                client,
                                inner,
                            }
                        }

                        /// The base URL every request of this client starts with.
                        pub fn baseurl(&self) -> &str {
                            &self.baseurl
                        }

                        /// The transport every request of this client goes through.
                        pub fn transport(&self) -> &crate::Transport {
                            &self.inner
                        }

                        /// The version of the spec this client was generated from
                        /// (`info.version`).
                        pub fn api_version() -> &'static str #api_version

                        /// The HTTP client the transport sends with.
                        pub(crate) fn http(&self) -> &reqwest::Client {
                            &self.client
                        }
                    }
                };
            }
            Item::Mod(module) if module.ident == "builder" => {
                let Some((_, items)) = &mut module.content else {
                    return Err("progenitor's `builder` module has no items".into());
                };
                builders(items)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// What only progenitor's hooks need: its imports, the `ClientInfo` and
/// `ClientHooks` impls, the hooks' assertion.
fn progenitor_glue(item: &Item) -> bool {
    match item {
        Item::Use(import) => import
            .to_token_stream()
            .to_string()
            .contains("progenitor_client"),
        Item::Impl(block) => block.trait_.as_ref().is_some_and(|(path, _)| {
            path.segments.last().is_some_and(|segment| {
                segment.ident == "ClientInfo" || segment.ident == "ClientHooks"
            })
        }),
        Item::Const(constant) => constant
            .to_token_stream()
            .to_string()
            .contains("assert_client_hooks"),
        _ => false,
    }
}

/// progenitor's `impl Client { fn new, fn new_with_client }`.
fn is_client_constructor(block: &syn::ItemImpl) -> bool {
    block.trait_.is_none()
        && block.self_ty.to_token_stream().to_string() == "Client"
        && block.items.iter().any(
            |item| matches!(item, ImplItem::Fn(function) if function.sig.ident == "new_with_client"),
        )
}

/// Rewrites the builders of progenitor's `builder` module.
fn builders(items: &mut Vec<Item>) -> Result<(), String> {
    // The module's imports: progenitor's hook types go; what the kept
    // request-making code names stays.
    items.retain(|item| !matches!(item, Item::Use(import) if import.to_token_stream().to_string().contains("ClientHooks")));
    items.insert(
        0,
        parse_quote! {
            #[allow(unused_imports)]
            use crate::transport::Invalid as Error;
        },
    );
    items.insert(
        0,
        parse_quote! {
            #[allow(unused_imports)]
            use progenitor_client::{encode_path, RequestBuilderExt};
        },
    );
    // The builders with a JSON body, by name.
    let mut with_body = Vec::new();
    for item in items.iter_mut() {
        if let Item::Struct(builder) = item {
            let Fields::Named(fields) = &mut builder.fields else {
                continue;
            };
            if fields
                .named
                .iter()
                .any(|field| field.ident.as_ref().is_some_and(|name| name == "body"))
            {
                with_body.push(builder.ident.to_string());
                fields
                    .named
                    .push(parse_quote!(raw_body: Option<::serde_json::Value>));
            }
            fields
                .named
                .push(parse_quote!(options: crate::transport::Options));
        }
    }
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        let name = match &*block.self_ty {
            Type::Path(path) => path
                .path
                .segments
                .last()
                .map(|segment| segment.ident.to_string())
                .unwrap_or_default(),
            _ => continue,
        };
        let has_body = with_body.contains(&name);
        builder_impl(block, &name, has_body)?;
    }
    Ok(())
}

/// One builder's methods: `new` sets the added fields; `send` becomes
/// `request` (kept from progenitor) and the sending methods.
fn builder_impl(block: &mut syn::ItemImpl, name: &str, has_body: bool) -> Result<(), String> {
    let mut added: Vec<ImplItem> = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(function) = item else {
            continue;
        };
        if function.sig.ident == "new" {
            let Some(Stmt::Expr(syn::Expr::Struct(literal), _)) = function.block.stmts.last_mut()
            else {
                return Err(format!(
                    "`{name}::new` does not end in the builder's literal"
                ));
            };
            literal
                .fields
                .push(parse_quote!(options: ::std::default::Default::default()));
            if has_body {
                literal.fields.push(parse_quote!(raw_body: None));
            }
        }
        if function.sig.ident == "send" {
            let sending = sending(function, name, has_body)?;
            *item = sending.request;
            added.extend(sending.methods);
            break;
        }
    }
    if added.is_empty() {
        return Err(format!("`{name}` has no `send`"));
    }
    block.items.extend(added);
    Ok(())
}

struct Sending {
    /// `fn request(self) -> Result<reqwest::Request, Error>`: progenitor's.
    request: ImplItem,
    /// `send`, `options`, `outgoing`, `answer`, `open`, `raw_body`.
    methods: Vec<ImplItem>,
}

/// progenitor's `send` of builder `name`, split into the request it makes and
/// the methods that send it through the transport.
fn sending(function: &syn::ImplItemFn, name: &str, has_body: bool) -> Result<Sending, String> {
    let stmts = &function.block.stmts;
    let info = stmts
        .iter()
        .position(|stmt| stmt.to_token_stream().to_string().contains("OperationInfo"))
        .ok_or_else(|| format!("`{name}::send` names no `OperationInfo`"))?;
    let operation_id = operation_id(&stmts[info])
        .ok_or_else(|| format!("`{name}::send` gives no `operation_id`"))?;
    let variant = format_ident!("{}", operation_id.to_upper_camel_case());
    let answer = answer_type(&function.sig.output)
        .ok_or_else(|| format!("`{name}::send` does not answer `Result<ResponseValue<T>, _>`"))?;
    let Some(Stmt::Local(destructure)) = stmts.first() else {
        return Err(format!(
            "`{name}::send` does not start by taking its fields"
        ));
    };
    let mut destructure = destructure.clone();
    let syn::Pat::Struct(pattern) = &mut destructure.pat else {
        return Err(format!("`{name}::send` does not take its fields by name"));
    };
    pattern.rest = Some(syn::PatRest {
        attrs: Vec::new(),
        dot2_token: Default::default(),
    });
    let mut kept: Vec<Stmt> = vec![Stmt::Local(destructure)];
    let mut typed_body = false;
    for stmt in &stmts[1..info] {
        // progenitor's `api-version` header (`header_map.append(…,
        // Client::api_version())`): no vendor documents it.
        let text = stmt.to_token_stream().to_string();
        if text.contains("header_map . append") && text.contains("api_version") {
            continue;
        }
        let mut stmt = stmt.clone();
        if has_body && let Stmt::Local(local) = &mut stmt {
            let is_body = matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "body");
            if let (true, Some(init)) = (is_body, &mut local.init) {
                typed_body = true;
                let typed = &init.expr;
                *init.expr = parse_quote! {
                    match raw_body {
                        Some(raw) => crate::transport::JsonBody::Raw(raw),
                        None => crate::transport::JsonBody::Typed(#typed),
                    }
                };
            }
        }
        kept.push(stmt);
    }
    if has_body && !typed_body {
        return Err(format!(
            "`{name}::send` makes no `let body = …`: its `raw_body` could not replace it"
        ));
    }
    // Without the `api-version` header, a header map nothing appends to.
    let appended = kept.iter().any(|stmt| {
        let text = stmt.to_token_stream().to_string();
        text.contains("header_map . append") || text.contains("header_map . insert")
    });
    if !appended {
        for stmt in &mut kept {
            if let Stmt::Local(local) = stmt
                && let syn::Pat::Ident(binding) = &mut local.pat
                && binding.ident == "header_map"
            {
                binding.mutability = None;
                if let Some(init) = &mut local.init {
                    *init.expr = parse_quote!(::reqwest::header::HeaderMap::new());
                }
            }
        }
    }
    // The builder is taken whole by `request`: what `raw_body` needs is
    // moved out first.
    let take_raw = has_body.then(|| quote!(let raw_body = self.raw_body.take();));
    let docs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"));
    let mutable = has_body.then(|| quote!(mut));
    let request: ImplItem = parse_quote! {
        /// The request, made as the spec describes it.
        fn request(#mutable self) -> Result<reqwest::Request, Error> {
            #take_raw
            #(#kept)*
            Ok(request)
        }
    };
    let mut methods: Vec<ImplItem> = vec![
        parse_quote! {
            #(#docs)*
            ///
            /// Through the one request path; the answer read as the spec's type.
            pub async fn send(self) -> Result<#answer, crate::HttpError> {
                self.answer().await?.json()
            }
        },
        parse_quote! {
            /// Sets the call's deadline and retries.
            #[allow(dead_code)]
            pub(crate) fn options(mut self, options: crate::transport::Options) -> Self {
                self.options = options;
                self
            }
        },
        parse_quote! {
            /// The request, described for the transport, and the client it
            /// goes through.
            fn outgoing(self) -> Result<(&'a super::Client, crate::transport::Outgoing<'static>), crate::HttpError> {
                let (client, options) = (self.client, self.options);
                let operation = crate::Operation::#variant;
                let request = self.request().map_err(|invalid| invalid.into_http(operation))?;
                Ok((client, crate::transport::Outgoing::new(operation, request).options(options)))
            }
        },
        parse_quote! {
            /// Sends it; the answer's body, read whole, is the caller's to decode.
            #[allow(dead_code)]
            pub(crate) async fn answer(self) -> Result<crate::transport::Answer, crate::HttpError> {
                // Made again from the builder only if it is sent again: a
                // builder is cheaper to copy than the request it makes.
                let again = self.clone();
                let rebuild = move || again.clone().request().ok();
                let (client, outgoing) = self.outgoing()?;
                client.inner.call(&client.client, outgoing.rebuilt_by(&rebuild)).await
            }
        },
        parse_quote! {
            /// Sends it; a success's body is handed back unread, to be read as
            /// a stream (an error's is read whole, as always).
            #[allow(dead_code)]
            pub(crate) async fn open(self) -> Result<reqwest::Body, crate::HttpError> {
                let again = self.clone();
                let rebuild = move || again.clone().request().ok();
                let (client, outgoing) = self.outgoing()?;
                let outgoing = outgoing.streamed().rebuilt_by(&rebuild);
                Ok(client.inner.call(&client.client, outgoing).await?.into_body())
            }
        },
    ];
    if has_body {
        methods.push(parse_quote! {
            /// Sends `body` as it is, instead of the typed body (a partial
            /// update's changes, with the `null`s that clear).
            #[allow(dead_code)]
            pub(crate) fn raw_body(mut self, body: ::serde_json::Value) -> Self {
                self.raw_body = Some(body);
                self
            }
        });
    }
    Ok(Sending { request, methods })
}

/// The `operation_id: "…"` of progenitor's `let info = OperationInfo { … };`.
fn operation_id(stmt: &Stmt) -> Option<String> {
    let text = stmt.to_token_stream().to_string();
    let (_, rest) = text.split_once("operation_id")?;
    let start = rest.find('"')? + 1;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].to_owned())
}

/// The `T` of `Result<ResponseValue<T>, Error<E>>`.
fn answer_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let ok = first_argument(ty, "Result")?;
    first_argument(ok, "ResponseValue").cloned()
}

/// The first type argument of `ty` when it is `outer<…>` (`Result<T, E>` → `T`).
pub(crate) fn first_argument<'t>(ty: &'t Type, outer: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    })
}
