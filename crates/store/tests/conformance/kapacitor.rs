//! The Kapacitor doctor's per-team setting: the Kapacitor URL a team's page reads live tasks
//! from. Set, changed, cleared; one team's never another's; outside the scope not found.

use std::sync::Arc;

use tocsin_core::model::Scope;
use tocsin_core::TeamId;
use tocsin_store::{Store, StoreError};

use tocsin_core::{Action, Severity};

use crate::backend::ReadOnlyDb;
use crate::cases::{alert, team_and_service};

type S = Arc<dyn Store>;

pub async fn teams_keep_their_kapacitor_url_within_scope(s: S) {
    let (a, _) = team_and_service(&s, "Ops").await;
    let (b, _) = team_and_service(&s, "Web").await;
    let only_a = Scope::Teams(vec![a]);
    assert_eq!(s.team_kapacitor_url(&only_a, a).await.ok(), Some(None));

    s.set_team_kapacitor_url(&only_a, a, Some("http://kapacitor:9092"))
        .await
        .expect("set");
    assert_eq!(
        s.team_kapacitor_url(&Scope::All, a).await.ok(),
        Some(Some("http://kapacitor:9092".to_string()))
    );
    assert_eq!(s.team_kapacitor_url(&Scope::All, b).await.ok(), Some(None));

    s.set_team_kapacitor_url(&only_a, a, Some("https://k.example/"))
        .await
        .expect("change");
    assert_eq!(
        s.team_kapacitor_url(&only_a, a).await.ok(),
        Some(Some("https://k.example/".to_string()))
    );

    // Team B is outside A's scope: not found, and unchanged.
    assert!(matches!(
        s.team_kapacitor_url(&only_a, b).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.set_team_kapacitor_url(&only_a, b, Some("http://evil:9092"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.team_kapacitor_url(&Scope::All, b).await.ok(), Some(None));
    assert!(matches!(
        s.set_team_kapacitor_url(&Scope::All, TeamId::new(), None)
            .await,
        Err(StoreError::NotFound(_))
    ));

    s.set_team_kapacitor_url(&only_a, a, None)
        .await
        .expect("clear");
    assert_eq!(s.team_kapacitor_url(&only_a, a).await.ok(), Some(None));
}

/// What `readonly` tells the Kapacitor doctor (`tocsin kapacitor tasks`): each service's key,
/// and whether a Kapacitor alert reached it (then a live task is expected to post to it).
pub async fn read_only_services_say_which_heard_from_kapacitor(db: ReadOnlyDb) {
    let s = &db.store;
    let (_, heard) = team_and_service(s, "Ops").await;
    let (_, quiet) = team_and_service(s, "Web").await;
    s.ingest(
        &heard,
        alert("cpu:nil", Action::Trigger(Severity::Critical)),
    )
    .await
    .expect("ingest");
    let read = db.services().await;
    let find = |id| read.iter().find(|k| k.id == id).expect("listed");
    assert!(find(heard.id).heard_from_kapacitor, "{read:?}");
    assert!(!find(quiet.id).heard_from_kapacitor, "{read:?}");
    assert_eq!(find(quiet.id).api_key, quiet.api_key);
}
