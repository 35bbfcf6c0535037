//! The verdict of a received frame: one list, used by the journal, the
//! metrics, the frame filter of the API and the device page.

use std::fmt;
use std::str::FromStr;

/// What became of a received frame. Every variant is written to the frame
/// journal; [`Verdict::Duplicate`] is decided by the writer after its
/// commit (the upload's key was already stored), never by the connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Verdict {
    /// A data upload stored for the first time.
    Stored,
    /// A data upload whose (MN, CN, DataTime) was already stored: answered
    /// again, stored once.
    Duplicate,
    /// One part of a split packet, waiting for the rest.
    Part,
    /// A device's answer to a platform command.
    Answer,
    /// A valid frame of a registered device that stores nothing.
    Other,
    /// HJ 212-2025 heartbeat (9015).
    Heartbeat,
    /// HJ 212-2025 activation (1001) of a data logger.
    Activation,
    /// Kept aside: unknown MN, wrong password, disabled device.
    Quarantine,
    /// Not a valid frame (CRC, length, strict rules, bad split).
    Rejected,
}

impl Verdict {
    pub const ALL: [Verdict; 9] = [
        Verdict::Stored,
        Verdict::Duplicate,
        Verdict::Part,
        Verdict::Answer,
        Verdict::Other,
        Verdict::Heartbeat,
        Verdict::Activation,
        Verdict::Quarantine,
        Verdict::Rejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Stored => "stored",
            Verdict::Duplicate => "duplicate",
            Verdict::Part => "part",
            Verdict::Answer => "answer",
            Verdict::Other => "other",
            Verdict::Heartbeat => "heartbeat",
            Verdict::Activation => "activation",
            Verdict::Quarantine => "quarantine",
            Verdict::Rejected => "rejected",
        }
    }

    /// Position in [`Verdict::ALL`] (for counters indexed by verdict).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The names, comma-separated (for error messages).
    pub fn names() -> String {
        Verdict::ALL.map(Verdict::as_str).join(", ")
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("verdict `{s}`: use one of {}", Verdict::names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_matches_the_list() {
        for (i, v) in Verdict::ALL.into_iter().enumerate() {
            assert_eq!(v.index(), i);
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
        }
        assert_eq!(
            "heartbeat".parse::<Verdict>(),
            Ok(Verdict::Heartbeat),
            "written, so it can be asked for"
        );
        let e = "Stored".parse::<Verdict>().unwrap_err();
        assert!(e.contains("stored, duplicate, part"), "{e}");
    }
}
