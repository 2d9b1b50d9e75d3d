//! Real receivers on loopback, for tests that check what Tocsin sends (no mocks): an HTTP
//! receiver that records each request and answers as told, and a small SMTP server that
//! records each message. Both bind `127.0.0.1:0` and stop when dropped.
//!
//! Built for this crate's tests, and for other crates' with the `test-receivers` feature
//! (`tocsin-server = { workspace = true, features = ["test-receivers"] }` in their
//! `[dev-dependencies]`).

mod http_receiver;
mod smtp_receiver;

pub use http_receiver::{Answer, HttpReceiver, Received};
pub use smtp_receiver::{Mail, SmtpReceiver, SmtpReply};
