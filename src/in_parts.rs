//! A file sent in parts (over a vendor's upload limit): where it is cut
//! ([`Cuts`], the one rule of Office and Docutools), and the one shape they
//! say it in when it stopped at a part ([`AppliedInPart`]).

use std::fmt;

/// A file sent in parts that stopped at `part`: the parts before it **were
/// applied** (`applied` holds what they gave), the parts after it were not
/// sent, and `source` says what became of `part` itself (refused, not sent,
/// or applied without a readable answer).
#[derive(Debug)]
pub struct AppliedInPart<T, E> {
    /// What the parts applied gave, in order (Office: each part's creation;
    /// Docutools: the users they created).
    pub applied: Vec<T>,
    /// The part that did not complete, 1 for the first.
    pub part: usize,
    /// How many parts the file has.
    pub of: usize,
    /// What became of that part.
    pub source: Box<E>,
}

impl<T, E> fmt::Display for AppliedInPart<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let before: Vec<String> = (1..self.part).map(|part| part.to_string()).collect();
        write!(
            f,
            "part {} of {} did not complete (the cause says whether it was applied); \
             the parts before it were applied (applied: {}), the parts after it were not sent",
            self.part,
            self.of,
            before.join(", ")
        )
    }
}

impl<T: fmt::Debug, E: std::error::Error + 'static> std::error::Error for AppliedInPart<T, E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Where a file is cut into parts of at most `limit` bytes: its records
/// added in order, a part closed when the next record would take it over.
/// The first part carries the header itself; every later one repeats it.
pub(crate) struct Cuts {
    limit: u64,
    header: u64,
    done: Vec<Cut>,
    start: u64,
    records_before: u64,
    records: u64,
    record: u64,
}

/// One part: the file's bytes from `start` to `end` (after the header, for
/// every part but the first), and the records it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Its first byte in the file.
    pub(crate) start: u64,
    /// Its end in the file.
    pub(crate) end: u64,
    /// Records before its first.
    pub(crate) records_before: u64,
    /// Its records.
    pub(crate) records: u64,
}

/// One record alone, with the header, is larger than a part may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLarge {
    /// The record, 1 for the first after the header.
    pub(crate) record: u64,
    /// Its size with the header.
    pub(crate) bytes: u64,
    /// The largest part.
    pub(crate) limit: u64,
}

impl Cuts {
    /// Cuts under `limit` bytes a part.
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            header: 0,
            done: Vec::new(),
            start: 0,
            records_before: 0,
            records: 0,
            record: 0,
        }
    }

    /// The header ends at `header`; the first part starts at 0 and carries
    /// it itself.
    pub(crate) fn begin(&mut self, header: u64) {
        self.header = header;
    }

    /// The record from `start` to `end`.
    pub(crate) fn add(&mut self, start: u64, end: u64) -> Result<(), TooLarge> {
        self.record += 1;
        let prefix = if self.done.is_empty() { 0 } else { self.header };
        if self.records > 0 && prefix + (end - self.start) > self.limit {
            self.done.push(Cut {
                start: self.start,
                end: start,
                records_before: self.records_before,
                records: self.records,
            });
            (self.start, self.records_before, self.records) = (start, self.record - 1, 0);
        }
        let prefix = if self.done.is_empty() { 0 } else { self.header };
        if prefix + (end - self.start) > self.limit {
            return Err(TooLarge {
                record: self.record,
                bytes: self.header + (end - start),
                limit: self.limit,
            });
        }
        self.records += 1;
        Ok(())
    }

    /// The parts, the last ending at `length`.
    pub(crate) fn finish(mut self, length: u64) -> Vec<Cut> {
        self.done.push(Cut {
            start: self.start,
            end: length,
            records_before: self.records_before,
            records: self.records,
        });
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header of 10 bytes and records of 20: parts of at most 50 bytes
    /// hold the header and two records each.
    #[test]
    fn a_part_closes_when_the_next_record_would_take_it_over() {
        let mut cuts = Cuts::new(50);
        cuts.begin(10);
        for record in 0..5 {
            let start = 10 + record * 20;
            cuts.add(start, start + 20).unwrap();
        }
        let parts = cuts.finish(110);
        let spans: Vec<(u64, u64, u64, u64)> = parts
            .iter()
            .map(|cut| (cut.start, cut.end, cut.records_before, cut.records))
            .collect();
        assert_eq!(spans, [(0, 50, 0, 2), (50, 90, 2, 2), (90, 110, 4, 1)]);
    }

    #[test]
    fn a_record_larger_than_a_part_says_which() {
        let mut cuts = Cuts::new(50);
        cuts.begin(10);
        cuts.add(10, 30).unwrap();
        let refused = cuts.add(30, 75).unwrap_err();
        assert_eq!(
            refused,
            TooLarge {
                record: 2,
                bytes: 55,
                limit: 50
            }
        );
    }
}
