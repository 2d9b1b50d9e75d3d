//! Password guessing is slowed per username and per client address, before the password is
//! checked, and a refusal does not say whether the account exists.

use serde_json::{json, Value};

use crate::support::{Server, ADMIN_TOKEN};

async fn sign_in(s: &Server, username: &str, password: &str) -> (u16, Option<String>, Value) {
    let r = s.sign_in(username, password).await;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

async fn add_user(s: &Server, username: &str, password: &str) {
    let (st, v) = s
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            "/api/v1/users",
            Some(json!({"username": username, "email": format!("{username}@example.com"), "password": password})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
}

#[tokio::test]
async fn guessing_one_users_password_is_stopped_and_others_still_sign_in() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(tmp.path()).await;
    add_user(&s, "alice", "alice's long password").await;
    add_user(&s, "bob", "bob's long password").await;
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
    let s = Server::start(tmp.path()).await;
    add_user(&s, "carol", "carol's long password").await;
    // 30 attempts from one address, each at a different username, all within the burst.
    for i in 0..30 {
        let (st, _, v) = sign_in(&s, &format!("user{i}"), "password").await;
        assert_eq!(st, 401, "attempt {i}: {v}");
    }
    let (st, retry, v) = sign_in(&s, "carol", "carol's long password").await;
    assert_eq!(st, 429, "{v}");
    assert!(retry.is_some(), "Retry-After");
    // Other routes from the same client are not affected.
    let (st, _) = s.get("/api/v1/teams").await;
    assert_eq!(st, 200);
}
