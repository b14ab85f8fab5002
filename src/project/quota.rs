//! `wxsync quota`: today's limit, use and remainder of each API wxsync calls, read with
//! `openapi/quota/get` (one call per API; that API has a small daily allowance of its own,
//! so `sync` asks it only for big plans, see [`crate::sync::budget`]).

use std::path::Path;

use super::{client, runtime};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::site::Site;
use crate::sync::apply::RowError;
use crate::wechat::{Endpoint, ErrCode, Quota};

/// One API's row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuotaRow {
    pub api: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

/// Reads the quota of the APIs named (`draft/update`), else of every API wxsync uses.
pub fn quota(
    site: Option<&Path>,
    account: Option<&str>,
    apis: &[String],
    out: Output,
) -> Result<Vec<QuotaRow>> {
    let mut site = Site::open(site)?;
    super::pick_account(&mut site, account, &[])?;
    let mut wanted = Vec::new();
    for name in apis {
        let name = name
            .trim()
            .trim_start_matches('/')
            .trim_start_matches("cgi-bin/");
        match Endpoint::QUOTA_REPORTED.iter().find(|e| e.name() == name) {
            Some(e) => wanted.push(*e),
            None => {
                let known: Vec<&str> = Endpoint::QUOTA_REPORTED.iter().map(|e| e.name()).collect();
                return Err(Error::Usage(format!(
                    "`{name}` is not an API wxsync uses; one of: {}",
                    known.join(", ")
                )));
            }
        }
    }
    if wanted.is_empty() {
        wanted = Endpoint::QUOTA_REPORTED.to_vec();
    }
    let client = client(&site, out)?;
    let rt = runtime(1)?;
    let mut rows = Vec::new();
    let mut stop: Option<RowError> = None;
    for api in wanted {
        if let Some(e) = &stop {
            rows.push(QuotaRow {
                api: api.name(),
                quota: None,
                error: Some(e.clone()),
            });
            continue;
        }
        match rt.block_on(client.quota_get(api)) {
            Ok(q) => rows.push(QuotaRow {
                api: api.name(),
                quota: Some(q),
                error: None,
            }),
            Err(e) if e.is_account_level() && rows.is_empty() => {
                return Err(Error::Usage(e.to_string()));
            }
            Err(e) => {
                let err = RowError {
                    code: e.code(),
                    message: e.headline(),
                };
                if e.errcode() == Some(ErrCode::DailyQuota) || e.is_account_level() {
                    // openapi/quota/get's own allowance, or the account: every other row
                    // would fail alike.
                    stop = Some(RowError {
                        code: e.code(),
                        message: format!("not read: {}", e.headline()),
                    });
                }
                rows.push(QuotaRow {
                    api: api.name(),
                    quota: None,
                    error: Some(err),
                });
            }
        }
    }
    Ok(rows)
}
