//! A loopback SMTP server that speaks just enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT) for a client to hand it a message, and records each message.
//!
//! Written here rather than taken from a crate: the SMTP server crates are either whole mail
//! servers or unmaintained, and this is ~150 lines a test can read.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// What the server answers to `RCPT TO` (where a relay refuses an unknown mailbox) and to the
/// end of `DATA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpReply {
    /// 250 to both: accepted.
    Accept,
    /// This line (code and text, e.g. `550 5.1.1 no such user`) to `RCPT TO`.
    RejectRecipient(String),
    /// This line (e.g. `451 4.3.0 try later`) at the end of `DATA`.
    RejectData(String),
}

/// One message as it was handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message's text, headers and body, with dot-stuffing undone.
    pub data: String,
}

#[derive(Debug)]
struct Shared {
    reply: Mutex<SmtpReply>,
    mails: Mutex<Vec<Mail>>,
    arrived: Notify,
}

/// The server; it stops when dropped.
#[derive(Debug)]
pub struct SmtpReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `<a@b>` (with any parameters after it) → `a@b`.
fn path_of(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end();
        let upper = cmd.to_ascii_uppercase();
        let reply = lock(&shared.reply).clone();
        let answer: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 localhost".into()
        } else if let Some(arg) = upper.strip_prefix("MAIL FROM:").map(|_| &cmd[10..]) {
            from = path_of(arg);
            to.clear();
            "250 2.1.0 ok".into()
        } else if let Some(arg) = upper.strip_prefix("RCPT TO:").map(|_| &cmd[8..]) {
            match reply {
                SmtpReply::RejectRecipient(r) => r,
                _ => {
                    to.push(path_of(arg));
                    "250 2.1.5 ok".into()
                }
            }
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing (RFC 5321 §4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            match reply {
                SmtpReply::RejectData(r) => r,
                _ => {
                    lock(&shared.mails).push(Mail {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        data,
                    });
                    shared.arrived.notify_waiters();
                    "250 2.0.0 queued".into()
                }
            }
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 ok".into()
        } else if upper == "NOOP" {
            "250 ok".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 not implemented".into()
        };
        write.write_all(format!("{answer}\r\n").as_bytes()).await?;
    }
}

impl SmtpReceiver {
    /// Start on `127.0.0.1:0`.
    pub async fn start(reply: SmtpReply) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            reply: Mutex::new(reply),
            mails: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        });
        let for_task = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&for_task)));
            }
        });
        Ok(SmtpReceiver { addr, shared, task })
    }

    /// `smtp://127.0.0.1:<port>`, as `--smtp-url` takes it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn reply(&self, reply: SmtpReply) {
        *lock(&self.shared.reply) = reply;
    }

    pub fn mails(&self) -> Vec<Mail> {
        lock(&self.shared.mails).clone()
    }

    /// Wait (at most `within`) until `n` messages have arrived; all of them, or `None`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Option<Vec<Mail>> {
        tokio::time::timeout(within, async {
            loop {
                let arrived = self.shared.arrived.notified();
                let got = self.mails();
                if got.len() >= n {
                    return got;
                }
                arrived.await;
            }
        })
        .await
        .ok()
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
