//! Invites: what a new device needs to ask to join a festival, as a code
//! one can send as a link or read aloud from a screen.

use std::fmt;
use std::str::FromStr;

use lineup_core::DocumentId;

/// What an invite code starts with.
const PREFIX: &str = "lineup-invite:";

/// An invitation into one of a festival's key groups: a device that has it
/// asks to join `group`; a member who may authorise accepts it. It names
/// the festival, so that two festivals on one network stay apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invite {
    /// The festival.
    pub festival: DocumentId,
    /// The key group to join: its organisers, crew leads or crew.
    pub group: DocumentId,
}

/// A code that is not an invite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an invite code: expected {PREFIX}<festival id>:<group id>")]
pub struct InviteError;

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}:{}", self.festival, self.group)
    }
}

impl FromStr for Invite {
    type Err = InviteError;

    fn from_str(code: &str) -> Result<Self, InviteError> {
        let (festival, group) = code
            .trim()
            .strip_prefix(PREFIX)
            .and_then(|ids| ids.split_once(':'))
            .ok_or(InviteError)?;
        Ok(Self {
            festival: festival.parse().map_err(|_| InviteError)?,
            group: group.parse().map_err(|_| InviteError)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::Hash;

    #[test]
    fn an_invite_reads_back_from_its_code() {
        let invite = Invite {
            festival: DocumentId(Hash::of(b"festival")),
            group: DocumentId(Hash::of(b"crew")),
        };
        let code = invite.to_string();
        assert!(code.starts_with("lineup-invite:0020"), "{code}");
        assert_eq!(code.parse(), Ok(invite));
        assert_eq!(format!("  {code}\n").parse(), Ok(invite), "pasted with blanks");
    }

    #[test]
    fn anything_else_is_not_an_invite() {
        for code in [
            "",
            "lineup-invite:",
            "lineup-invite:0020ab:0020cd",
            "https://example.org",
        ] {
            assert_eq!(code.parse::<Invite>(), Err(InviteError), "{code}");
        }
    }
}
