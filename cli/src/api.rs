//! `roster api`: a request to an endpoint the vendored specs do not
//! describe (Lucca's departments, legal entities…), like `gh api`, through
//! the SDK's one request path (`client.request`): the same credentials,
//! rate limit, retries and span as every other command.

use crate::exit::{Failure, chain};
use crate::ui::{Context, emit};

/// Which vendor's host the path is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Vendor {
    /// Lucca (`LUCCA_HOST`, `LUCCA_API_KEY`).
    Lucca,
    /// Docutools (`DOCUTOOLS_HOST`, and its token or password grant).
    Docutools,
}

/// `roster api`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ApiArgs {
    /// The path on the vendor's host, with its query if any
    /// (`/organization/structure/api/departments?limit=50`).
    path: String,
    /// The HTTP method.
    #[arg(long, short = 'X', default_value = "GET")]
    method: String,
    /// A JSON body to send.
    #[arg(long, short = 'd')]
    data: Option<String>,
    /// Which vendor's host.
    #[arg(long, value_enum, default_value = "lucca")]
    vendor: Vendor,
}

/// Sends the request; the answer's body on standard output (JSON
/// pretty-printed on a terminal or with `--format json`, else as it came).
pub(crate) async fn run(args: ApiArgs, context: &Context) -> Result<(), Failure> {
    let method = reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Failure::usage(format!("{:?} is not an HTTP method", args.method)))?;
    let body = match &args.data {
        Some(data) => Some(
            serde_json::from_str::<serde_json::Value>(data)
                .map_err(|error| Failure::usage(format!("--data is not JSON: {error}")))?,
        ),
        None => None,
    };
    let sent = match args.vendor {
        Vendor::Lucca => {
            let client: roster::directory::Client = context
                .sources
                .lucca()?
                .client()
                .map_err(|error| Failure::usage(chain(&error)))?;
            with_body(client.request(method, &args.path), body)
                .send()
                .await
        }
        Vendor::Docutools => {
            let client = context.sources.docutools()?.client()?;
            with_body(client.request(method, &args.path), body)
                .send()
                .await
        }
    };
    let answer = sent.map_err(|error| match error {
        roster::HttpError::InvalidRequest { .. } => Failure::usage(chain(&error)),
        error => Failure::from_http(&error, chain(&error)),
    })?;
    match answer.json::<serde_json::Value>() {
        Ok(value) if context.format == crate::ui::Format::Json || context.boxes => {
            emit(serde_json::to_string_pretty(&value).unwrap_or_default());
        }
        Ok(value) => emit(value),
        Err(_) => emit(String::from_utf8_lossy(answer.bytes())),
    }
    Ok(())
}

/// `request`, with `body` as JSON if there is one.
fn with_body(
    request: roster::RawRequest<'_>,
    body: Option<serde_json::Value>,
) -> roster::RawRequest<'_> {
    match body {
        Some(body) => request.json(body),
        None => request,
    }
}
