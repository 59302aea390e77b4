//! `roster docutools import`: users from a CSV export, split under the
//! size limit, with the columns mapped to user attributes.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Subcommand, ValueEnum};
use roster::docutools::types::UserAttribute;
use roster::docutools::{ColumnMap, CsvEncoding, DocutoolsError, UsersCsv, UsersCsvError};
use serde_json::json;

use crate::exit::{Failure, chain};
use crate::ui::{Context, Tone};

#[derive(Debug, Subcommand)]
pub(crate) enum DocutoolsCommand {
    /// Imports users from a CSV export (creates them: cannot be undone).
    #[command(
        after_help = "Examples:\n  roster docutools import users.csv --map \"Email Address=Email\" --map Name=LastName   # the preview, then asks\n  roster docutools import users.csv --map Email=Email --map Login=Username --yes"
    )]
    Import {
        /// The export (`-`: standard input, read once to its end).
        file: PathBuf,
        /// A column and the attribute it fills: `"Email Address=Email"`
        /// (attributes: FirstName, LastName, Name, Phone, Fax, JobTitle,
        /// Department, InternalId, Email, Username, Street, CompanyName,
        /// Zip, City, Active, Ignore). Repeat for each column.
        #[arg(long = "map", value_name = "COLUMN=ATTRIBUTE", required = true, value_parser = parse_map)]
        map: Vec<(String, UserAttribute)>,
        /// The file's encoding.
        #[arg(long, value_enum, default_value_t = Encoding::Detect)]
        encoding: Encoding,
        /// The file's delimiter (default: `;` when the header line holds
        /// more `;` than `,`, else `,`).
        #[arg(long)]
        delimiter: Option<char>,
        /// The language the file is written in (Docutools' `language`).
        #[arg(long)]
        language: Option<String>,
        /// Confirms the import without asking (needed without a terminal).
        #[arg(long)]
        yes: bool,
        /// Imports even when the journal has this file for this tenant (a
        /// deliberate repeat: the users are created again).
        #[arg(long)]
        allow_repeat: bool,
    },
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Encoding {
    /// UTF-8 if the file is valid UTF-8, Windows-1252 if it has no UTF-8
    /// sequence; a mix is refused (the other commands' `auto`).
    #[value(name = "auto", alias = "detect")]
    Detect,
    /// UTF-8, with or without a BOM.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 (also reads ISO-8859-1).
    #[value(name = "windows-1252", alias = "windows1252")]
    Windows1252,
}

fn parse_map(text: &str) -> Result<(String, UserAttribute), String> {
    let (column, attribute) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{text:?} is not COLUMN=ATTRIBUTE"))?;
    let attribute = UserAttribute::from_str(attribute.trim())
        .map_err(|_| format!("{:?} is not a Docutools user attribute", attribute.trim()))?;
    if column.trim().is_empty() {
        return Err(format!("{text:?} names no column"));
    }
    Ok((column.trim().to_owned(), attribute))
}

pub(crate) async fn run(command: DocutoolsCommand, context: &Context) -> Result<(), Failure> {
    let DocutoolsCommand::Import {
        file,
        map,
        encoding,
        delimiter,
        language,
        yes,
        allow_repeat,
    } = command;
    let encoding = match encoding {
        Encoding::Detect => CsvEncoding::Detect,
        Encoding::Utf8 => CsvEncoding::Utf8,
        Encoding::Windows1252 => CsvEncoding::Windows1252,
    };
    let csv = match crate::input::is_stdin(&file) {
        true => UsersCsv::from_reader(std::io::stdin().lock(), encoding),
        false => UsersCsv::from_path(&file, encoding).await,
    }
    .and_then(|csv| match delimiter {
        Some(delimiter) => csv.with_delimiter(delimiter),
        None => Ok(csv),
    })
    .map_err(|error| failure(&DocutoolsError::from(error)))?;
    let delimiter = csv.delimiter();
    let mapping = map
        .into_iter()
        .fold(ColumnMap::new(), |mapping, (column, attribute)| {
            mapping.map(column, attribute)
        });
    let target = context.sources.docutools()?;
    let client = target.client()?;
    let mut delimiter_byte = [0; 4];
    let rows = csv::ReaderBuilder::new()
        .delimiter(delimiter.encode_utf8(&mut delimiter_byte).as_bytes()[0])
        .flexible(true)
        .from_reader(csv.text())
        .byte_records()
        .count();
    // The preview, then the question: what each column fills, what is not
    // imported, how many rows.
    let columns = csv
        .columns()
        .map_err(|error| failure(&DocutoolsError::from(error)))?;
    let report = mapping
        .check(&columns)
        .map_err(|error| failure(&DocutoolsError::from(error)))?;
    for (column, attribute) in mapping.iter() {
        context.say(format!("{column} -> {attribute}"));
    }
    if !report.unmapped.is_empty() {
        context.say(format!(
            "not imported (no --map): {}",
            report.unmapped.join(", ")
        ));
    }
    context.say(format!("{rows} row(s) to import"));
    context.confirm(
        &format!(
            "Importing {rows} user row(s) from {} ({} bytes) into Docutools at {}",
            file.display(),
            csv.len(),
            target.host()
        ),
        yes,
    )?;
    let journal = crate::office::default_journal(context)?;
    let mut bar = context.progress("importing");
    bar.set(0);
    let request = client.import_users_csv(&csv, &mapping).journal(&journal);
    let request = match allow_repeat {
        true => request.allow_repeat(),
        false => request,
    };
    let request = match language {
        Some(language) => request.language(language),
        None => request,
    };
    let users = request.execute().await.map_err(|error| failure(&error))?;
    drop(bar);
    context.table(
        &["username", "first name", "last name", "department"],
        users.iter().map(|user| {
            (
                Tone::Good,
                vec![
                    user.username.clone().unwrap_or_default(),
                    user.first_name.clone().unwrap_or_default(),
                    user.last_name.clone().unwrap_or_default(),
                    user.department.clone().unwrap_or_default(),
                ],
            )
        }),
    );
    context.say(format!("imported {} user(s)", users.len()));
    context.document(&json!({ "imported": users.len(), "users": users }));
    Ok(())
}

/// The exit code of a Docutools error, and what to do next.
fn failure(error: &DocutoolsError) -> Failure {
    let text = chain(error);
    match error {
        DocutoolsError::Csv(UsersCsvError::File(error)) => Failure::from_file(error, text),
        DocutoolsError::Csv(UsersCsvError::Delimiter(_)) => Failure::usage(text),
        DocutoolsError::Csv(UsersCsvError::NotUtf8 { .. }) => {
            Failure::usage(format!("{text}\nread it so: --encoding windows-1252"))
        }
        DocutoolsError::Upload(http) => Failure::from_http(http, text),
        DocutoolsError::Import { source, .. }
            if source.not_sent() || source.status().is_some_and(|s| s.as_u16() == 429) =>
        {
            Failure::transient(format!("{text}\ntry again later"))
        }
        DocutoolsError::Import { source, .. }
            if source.status().is_some_and(|s| s.is_client_error()) =>
        {
            Failure::refused(text)
        }
        DocutoolsError::Import { .. } => Failure::unknown(format!(
            "{text}\noutcome unknown: check Docutools' users before importing again"
        )),
        DocutoolsError::AppliedUnread { .. } => Failure::unknown(format!(
            "{text}\nthe users were created: check them in Docutools"
        )),
        DocutoolsError::PartlyImported(_) => Failure::unknown(format!(
            "{text}\nsome parts were imported: check Docutools, then import only what is missing"
        )),
        DocutoolsError::Repeated { earlier }
            if earlier.state == roster::journal::JournalState::Done =>
        {
            Failure::refused(format!(
                "{text}\nnothing was sent: add --allow-repeat to import these users again"
            ))
        }
        DocutoolsError::Repeated { earlier } if earlier.is_held() => Failure::transient(format!(
            "{text}\nnothing was sent: another run is importing it now"
        )),
        DocutoolsError::Repeated { .. } => Failure::unknown(format!(
            "{text}\nnothing was sent: check Docutools' users, then --allow-repeat if they are not there"
        )),
        _ => Failure::refused(text),
    }
}
