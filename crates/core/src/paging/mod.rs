//! Paging: who is told about an incident, when, and how — the rules, without I/O.
//!
//! The engine (in the server) and the stores only carry out what these functions decide:
//! - [`policy`]: escalation policies and their validation;
//! - [`escalation`]: the one pending row per open incident, and what firing it does;
//! - [`effects`]: what opening, acknowledging and resolving write to that row;
//! - [`engine`]: what a due row does (the store's transaction follows it);
//! - [`notes`]: the timeline's words for paging;
//! - [`fanout`]: from a fired step to deliveries, each with the key the database keeps unique;
//! - [`delivery`]: a delivery's statuses, retries and lease;
//! - [`message`]: the bytes sent on each kind of contact method, and their signature;
//! - [`destination`]: where Tocsin may send;
//! - [`records`]: contact methods, channels, policies and notifications as stored.
//!
//! Time is always a parameter (`now`), so every rule is tested with any clock.

pub mod delivery;
pub mod destination;
pub mod effects;
pub mod engine;
pub mod escalation;
pub mod fanout;
pub mod message;
pub mod notes;
pub mod policy;
pub mod records;
