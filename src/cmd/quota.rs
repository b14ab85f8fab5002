//! `wxsync quota [API…]`: today's quota of each API wxsync uses, as a table or `--json`
//! (see [`crate::project::quota`]).

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::project::quota::quota;

pub fn run(
    site: Option<&Path>,
    account: Option<&str>,
    apis: &[String],
    out: Output,
) -> Result<i32> {
    let rows = quota(site, account, apis, out)?;
    if out.json {
        out.document(&serde_json::json!({ "apis": rows }).to_string());
    } else {
        let mut text = format!(
            "{:<28} {:>12} {:>8} {:>10}\n",
            "API", "DAILY LIMIT", "USED", "REMAINING"
        );
        for r in &rows {
            match (&r.quota, &r.error) {
                (Some(q), _) => text.push_str(&format!(
                    "{:<28} {:>12} {:>8} {:>10}\n",
                    r.api, q.daily_limit, q.used, q.remain
                )),
                (None, Some(e)) => text.push_str(&format!("{:<28} {}\n", r.api, e.message)),
                (None, None) => {}
            }
        }
        out.report(&text);
    }
    Ok(if rows.iter().any(|r| r.error.is_some()) {
        1
    } else {
        0
    })
}
