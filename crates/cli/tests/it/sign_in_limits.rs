//! Password guessing is slowed per (username, client address), per client address and, as a
//! backstop, per username, before the password is checked; a refusal does not say whether the
//! account exists, and a guesser elsewhere does not lock the owner out. What a failed sign-in
//! writes to the log cannot forge lines and does not show the username at info.

use serde_json::Value;

use crate::support::{client_from, Server};

async fn sign_in(s: &Server, username: &str, password: &str) -> (u16, Option<String>, Value) {
    sign_in_with(s, &s.http, username, password).await
}

async fn sign_in_with(
    s: &Server, http: &reqwest::Client, username: &str, password: &str,
) -> (u16, Option<String>, Value) {
    let r = s.sign_in_with(http, username, password).await;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn guessing_one_users_password_is_stopped_and_others_still_sign_in() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(tmp.path()).await;
    s.new_user("alice", "alice's long password", false).await;
    s.new_user("bob", "bob's long password", false).await;
    for i in 0..10 {
        let (st, _, v) = sign_in(&s, "alice", &format!("guess {i}")).await;
        assert_eq!(st, 401, "guess {i}: {v}");
    }
    // The eleventh attempt is refused before the password is looked at, even the right one,
    // in any letter case.
    let (st, retry, v) = sign_in(&s, "ALICE", "alice's long password").await;
    assert_eq!(st, 429, "{v}");
    assert_eq!(v["code"], "too_many_attempts", "{v}");
    let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=6).contains(&secs), "Retry-After {secs}");
    // An unknown username is refused the same way once guessed at as often.
    for i in 0..10 {
        let (st, _, _) = sign_in(&s, "mallory", &format!("guess {i}")).await;
        assert_eq!(st, 401);
    }
    let (st, _, v) = sign_in(&s, "mallory", "guess").await;
    assert_eq!((st, v["code"].as_str()), (429, Some("too_many_attempts")));
    // Bob, from the same address, is not locked out by the guesses at other accounts.
    let (st, _, v) = sign_in(&s, "bob", "bob's long password").await;
    assert_eq!(st, 201, "{v}");
    assert!(s.log().contains("sign-in refused: too many attempts"));
}

#[tokio::test]
async fn one_client_trying_many_usernames_is_stopped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    s.new_user("carol", "carol's long password", false).await;
    // 30 attempts from one address, each at a different username, all within the burst.
    for i in 0..30 {
        let (st, _, v) = sign_in(&s, &format!("user{i}"), "password").await;
        assert_eq!(st, 401, "attempt {i}: {v}");
    }
    // The 30 password checks take time, and the limit refills one every 2 s: on a slow
    // machine a few more guesses may pass before it bites.
    let mut refused = false;
    for i in 30..35 {
        if sign_in(&s, &format!("user{i}"), "password").await.0 == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "35 attempts from one client were never refused");
    let (st, retry, v) = sign_in(&s, "carol", "carol's long password").await;
    assert_eq!(st, 429, "{v}");
    assert!(retry.is_some(), "Retry-After");
    // Other routes from the same client are not affected.
    let (st, _) = s.get("/api/v1/teams").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn a_guesser_at_another_address_does_not_lock_the_owner_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    s.new_user("dave", "dave's long password", false).await;
    let attacker = client_from("127.0.0.2");
    for i in 0..10 {
        let (st, _, v) = sign_in_with(&s, &attacker, "dave", &format!("guess {i}")).await;
        assert_eq!(st, 401, "guess {i}: {v}");
    }
    // The guesser is stopped, even with the right password...
    let (st, retry, v) = sign_in_with(&s, &attacker, "Dave", "dave's long password").await;
    assert_eq!((st, v["code"].as_str()), (429, Some("too_many_attempts")));
    assert!(retry.is_some(), "Retry-After");
    // ...but Dave, from his own address, signs in (today's code locked the account for him too).
    let (st, _, v) = sign_in(&s, "dave", "dave's long password").await;
    assert_eq!(st, 201, "{v}");
    // And his own mistypes are still limited where he is: that sign-in was his first attempt
    // of ten (a few more may pass as the limit refills, one every 6 s).
    let mut refused = false;
    for i in 0..12 {
        let (st, _, _) = sign_in(&s, "dave", &format!("typo {i}")).await;
        if st == 429 {
            assert!(i >= 9, "refused after {i} typos");
            refused = true;
            break;
        }
        assert_eq!(st, 401);
    }
    assert!(refused, "twelve typos from one address were never refused");
}

#[tokio::test]
async fn a_failed_sign_in_logs_no_username_at_info_and_forges_no_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Debug for the sign-in handler only: the username is there, escaped.
    let (s, _) = Server::start_with_env(
        tmp.path(),
        &[("TOCSIN_LOG", "info,tocsin_server::api::session=debug")],
    )
    .await;
    let typed_password = "hunter2-typed-into-the-username-box";
    let forged = "eve\nINFO forged: admin signed in\u{1b}[2J";
    for name in [typed_password, forged] {
        let (st, _, v) = sign_in(&s, name, "wrong").await;
        assert_eq!(st, 401, "{v}");
    }
    // A path whose decoded form holds a newline and an escape sequence.
    let (st, _) = s
        .call(None, "GET", "/nothing%0AINFO%20forged%20line%1B[2J", None)
        .await;
    assert_eq!(st, 404);
    let log = s.log();
    for line in log.lines().filter(|l| l.contains(typed_password)) {
        assert!(
            line.contains("DEBUG") && !line.contains(" INFO "),
            "the username of a failed sign-in is logged above debug: {line}"
        );
    }
    assert!(log.contains("sign-in refused"), "{log}");
    assert!(
        !log.lines().any(|l| l.starts_with("INFO")),
        "a forged line in the log:\n{log}"
    );
    assert!(!log.contains('\u{1b}'), "a raw escape sequence in the log");
    assert!(
        log.contains("eve\\\\nINFO"),
        "the username, escaped, at debug:\n{log}"
    );
}

#[tokio::test]
async fn a_crowd_of_addresses_meets_the_per_username_backstop_but_the_owners_address_does_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    s.new_user("erin", "erin's long password", false).await;
    // Erin has signed in from here before: a familiar address.
    let (st, _, v) = sign_in(&s, "erin", "erin's long password").await;
    assert_eq!(st, 201, "{v}");
    // Ten addresses, ten guesses each but one less for the last: each within its own limits,
    // and with Erin's sign-in (made before her address was familiar) the account's 100.
    for a in 10..20 {
        let guesser = client_from(&format!("127.0.0.{a}"));
        for i in 0..(if a == 19 { 9 } else { 10 }) {
            let (st, _, v) = sign_in_with(&s, &guesser, "erin", &format!("guess {a}.{i}")).await;
            assert_eq!(st, 401, "127.0.0.{a} guess {i}: {v}");
        }
    }
    // An eleventh address is refused by the backstop, with a long wait...
    let late = client_from("127.0.0.20");
    let (st, retry, v) = sign_in_with(&s, &late, "erin", "erin's long password").await;
    assert_eq!((st, v["code"].as_str()), (429, Some("too_many_attempts")));
    let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!(secs > 30, "Retry-After {secs}");
    // ...while Erin, from her familiar address, still signs in.
    let (st, _, v) = sign_in(&s, "erin", "erin's long password").await;
    assert_eq!(st, 201, "{v}");
}
