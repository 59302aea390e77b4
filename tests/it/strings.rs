//! Strings that break naive CSV and header code: separators, quotes, line
//! breaks, unicode. Deterministic (a fixed seed), so a failure reproduces.

use rand::{RngExt, SeedableRng};

/// Hand-picked hard cases, then `random` seeded random ones.
pub fn tricky_strings(random: usize) -> Vec<String> {
    let mut strings: Vec<String> = [
        "",
        " ",
        ";",
        ";;",
        "\"",
        "\"\"",
        "a\"b",
        "\"quoted\"",
        "semi;colon",
        "line\nbreak",
        "cr\rreturn",
        "crlf\r\nend",
        "\n",
        "trailing ",
        " leading",
        "tab\there",
        "é",
        "Zoë",
        "日本語",
        "emoji 😀",
        "mixed;\"\n\r😀",
        "back\\slash",
        "comma,here",
        "#hash",
        "=1+1",
        "\u{feff}bom",
        // A NUL or another control character is refused with its place
        // (see `bad_input`), never sent: not a string that goes through.
        "a\u{2028}b",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let alphabet: Vec<char> = "ab;\"\n\r \t,é日😀\\'".chars().collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0ff1ce);
    for _ in 0..random {
        let length = rng.random_range(0..12);
        strings.push(
            (0..length)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect(),
        );
    }
    strings
}
