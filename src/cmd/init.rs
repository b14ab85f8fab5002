//! `wxsync init [DIR]`: start a site ([`crate::scaffold`]), then say what is left to do.

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::scaffold;

pub fn run(dir: Option<&Path>, out: Output) -> Result<i32> {
    let made = scaffold::init(dir)?;
    if out.json {
        out.document(&serde_json::to_string_pretty(&made).unwrap_or_else(|_| "{}".to_string()));
    } else if !out.quiet {
        let mut text = format!("Created a wxsync site in {}:\n", made.site);
        for c in &made.created {
            text.push_str(&format!("  {c}\n"));
        }
        text.push_str("\nNext steps:\n");
        for (i, s) in made.next_steps.iter().enumerate() {
            let mut lines = s.lines();
            text.push_str(&format!(
                "  {}. {}\n",
                i + 1,
                lines.next().unwrap_or_default()
            ));
            for l in lines {
                text.push_str(&format!("     {l}\n"));
            }
        }
        crate::output::human(&text);
    }
    Ok(0)
}
