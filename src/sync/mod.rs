//! Sync: the lockfile, the plan and its application, and the report of a run. Data flows one
//! way: rendered articles → [`plan`] (against [`lock`]) → [`apply`] (sending what [`resolve`]
//! makes of each payload) → [`report`] (and [`github`] in Actions).

pub mod apply;
pub mod budget;
pub mod github;
pub mod journal;
pub mod lock;
pub mod plan;
pub mod remote;
pub mod remote_report;
pub mod report;
pub mod resolve;
pub mod runlock;
