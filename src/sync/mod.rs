//! Sync: the lockfile, the plan and its application, and the report of a run. Data flows one
//! way: rendered articles → [`plan`] → [`apply`] → [`report`].

pub mod apply;
pub mod github;
pub mod lock;
pub mod plan;
pub mod remote;
pub mod report;
