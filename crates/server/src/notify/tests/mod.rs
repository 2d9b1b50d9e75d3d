//! The senders against real receivers on loopback (`notify::testing`).

mod http;
mod smtp;
