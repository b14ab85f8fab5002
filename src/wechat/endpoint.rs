//! The endpoints wxsync calls: their paths and names, shared by the client (to call them) and
//! the errors (to say which call failed).

use std::fmt;

/// The endpoints the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Token,
    StableToken,
    UploadImg,
    AddMaterial,
    DraftAdd,
    DraftUpdate,
    DraftGet,
    DraftBatchget,
    DraftDelete,
    DraftCount,
}

impl Endpoint {
    /// The path below the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Token => "/cgi-bin/token",
            Endpoint::StableToken => "/cgi-bin/stable_token",
            Endpoint::UploadImg => "/cgi-bin/media/uploadimg",
            Endpoint::AddMaterial => "/cgi-bin/material/add_material",
            Endpoint::DraftAdd => "/cgi-bin/draft/add",
            Endpoint::DraftUpdate => "/cgi-bin/draft/update",
            Endpoint::DraftGet => "/cgi-bin/draft/get",
            Endpoint::DraftBatchget => "/cgi-bin/draft/batchget",
            Endpoint::DraftDelete => "/cgi-bin/draft/delete",
            Endpoint::DraftCount => "/cgi-bin/draft/count",
        }
    }

    /// The short name used in messages, e.g. `draft/add`.
    pub fn name(self) -> &'static str {
        self.path().trim_start_matches("/cgi-bin/")
    }

    /// Whether sending the call twice has the same effect as once. The others create
    /// something, so an ambiguous failure must not be retried blindly.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Endpoint::DraftAdd | Endpoint::AddMaterial)
    }

    pub(super) fn is_get(self) -> bool {
        matches!(self, Endpoint::Token | Endpoint::DraftCount)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
