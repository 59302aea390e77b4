//! Import users into Docutools from a CSV export: upload it, map its columns
//! to user attributes (checked against the file before the import), import,
//! print the users.
//!
//! ```sh
//! cargo run --example docutools_import                      # the local Docutools server, the sample file
//! cargo run --example docutools_import -- --csv users.csv  # your export (`;`-separated, any common encoding)
//! ```
//!
//! With `DOCUTOOLS_HOST` and `DOCUTOOLS_TOKEN` set (or the password-grant
//! variables: `DOCUTOOLS_CLIENT_ID`, `DOCUTOOLS_CLIENT_SECRET`,
//! `DOCUTOOLS_USERNAME`, `DOCUTOOLS_PASSWORD`) it imports into that
//! organisation.

use std::error::Error;

use roster::ConfigError;
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ColumnMap, CsvEncoding, UsersCsv};
use roster::docutools::{DocutoolsConfig, DocutoolsLoginConfig, PasswordGrant};
use roster_emulator::LocalDocutools;

const SAMPLE: &[u8] = include_bytes!("data/users-export.csv");

/// A client from the environment (token, then password grant), or the local server.
async fn client() -> Result<(docutools::Client, Option<LocalDocutools>), Box<dyn Error>> {
    match DocutoolsConfig::from_env() {
        Ok(config) => return Ok((config.client()?, None)),
        Err(ConfigError::MissingVariable {
            name: "DOCUTOOLS_TOKEN",
        }) => {
            return Ok((DocutoolsLoginConfig::from_env()?.client()?, None));
        }
        Err(ConfigError::MissingVariable { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    let local = LocalDocutools::start().await?;
    println!(
        "No Docutools credentials: using the local Docutools server at {}",
        local.base_url()
    );
    // Log in to it as a user would: client credentials and an account.
    let setup = local.setup();
    let account = &setup.accounts[0];
    let grant = PasswordGrant::new(
        setup.client_id.clone(),
        setup.client_secret.clone(),
        account.username.clone(),
        account.password.clone(),
    );
    let config = DocutoolsLoginConfig::new(&local.base_url(), grant)?;
    Ok((config.client()?, Some(local)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let csv = match args.iter().position(|arg| arg == "--csv") {
        Some(index) => {
            UsersCsv::from_path(
                args.get(index + 1).ok_or("--csv needs a file")?,
                CsvEncoding::Detect,
            )
            .await?
        }
        None => UsersCsv::from_bytes(SAMPLE, CsvEncoding::Detect)?,
    }
    .with_delimiter(';')?;
    let (client, _local) = client().await?;

    let file = client
        .upload_users_file(&csv)
        .language("english")
        .send()
        .await?;
    println!(
        "Uploaded {} bytes ({:?}, kept until {:?}); columns: {:?}",
        file.size_in_bytes.unwrap_or_default(),
        file.file_encoding,
        file.saved_until,
        file.columns
    );

    let mapping = ColumnMap::new()
        .map("Email Address", UserAttribute::Email)
        .map("Name", UserAttribute::Name)
        .map("Department", UserAttribute::Department)
        .map("Phone", UserAttribute::Phone);
    let (report, users) = client.import_users(&file, &mapping).send().await?;
    if !report.unmapped.is_empty() {
        println!("Not imported (unmapped columns): {:?}", report.unmapped);
    }
    println!("Imported {} user(s):", users.len());
    for user in &users {
        println!(
            "  {:<28} {:<10} {:<12} {}",
            user.username.as_deref().unwrap_or("?"),
            user.first_name.as_deref().unwrap_or(""),
            user.last_name.as_deref().unwrap_or(""),
            user.department.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
