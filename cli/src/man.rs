//! `roster man`: clap's manual page, with the sections a person looks for
//! that clap does not write: EXIT STATUS, ENVIRONMENT and FILES.

use std::io::Write;

use clap_mangen::Man;

/// The sections after the options and commands, in roff.
const SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Done.
.TP
.B 1
The input or the vendor refused: nothing was applied that the output does not list.
.TP
.B 2
Usage or configuration: a flag, a profile, a file, missing credentials.
.TP
.B 3
The outcome is unknown: an import may have been applied; \fBroster office journal\fR and \fBroster office resolve\fR tell.
.TP
.B 4
Transient (no connection, a timeout, 429, 5xx): the message says whether running the same command again is safe.
.TP
.B 130
Interrupted (Ctrl-C): the output lists what was sent.
.SH ENVIRONMENT
.TP
.B LUCCA_HOST, LUCCA_API_KEY
Lucca's host and API key, when no profile or flag gives them.
.TP
.B DOCUTOOLS_HOST, DOCUTOOLS_TOKEN
Docutools' host and bearer token (or DOCUTOOLS_CLIENT_ID, DOCUTOOLS_CLIENT_SECRET, DOCUTOOLS_USERNAME, DOCUTOOLS_PASSWORD).
.TP
.B ROSTER_PROFILE
The profile, when \fB\-\-profile\fR does not name one.
.TP
.B ROSTER_CONFIG
The config file, instead of the default place.
.TP
.B ROSTER_REDIS_URL
The Redis several workers share: their rate budget and import journal.
.TP
.B ROSTER_JOURNAL_LEASE
How long a claim in the import journal lasts while its creation is sent (60s by default).
.TP
.B NO_COLOR
No colours.
.SH FILES
.TP
.I $XDG_CONFIG_HOME/roster/config.toml
The profiles: hosts and where their secrets live, never a secret; \fBdefault_profile\fR names the default one. \fBroster profiles add\fR writes it with mode 0600.
.TP
.I $XDG_CONFIG_HOME/roster/NAME.lucca-key
A profile's Lucca API key, when \fBroster profiles add\fR read it (mode 0600; a secret file others may read is refused).
.TP
.I $XDG_DATA_HOME/roster/imports.sqlite3
The import journal: each file created, per tenant, so that the same file is never created twice.
"#;

/// Writes the page for `command` to `out`: clap's sections (roster has
/// options, commands, examples and a version), then the ones above, then
/// the version.
pub fn render(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    man.render_extra_section(out)?;
    out.write_all(SECTIONS.as_bytes())?;
    man.render_version_section(out)
}
