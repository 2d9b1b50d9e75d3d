//! One conformance suite for every `Store` backend: each case below runs, with the same code,
//! against SQLite (a temp file) and PostgreSQL (a fresh database per test in the cluster named
//! by `TOCSIN_TEST_POSTGRES_URL`, which `scripts/test` always provides).

mod backend;
mod cases;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let b = crate::backend::Backend::sqlite();
                    crate::cases::$case(b.store.clone()).await;
                    b.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(b) = crate::backend::Backend::postgres().await else {
                        return;
                    };
                    crate::cases::$case(b.store.clone()).await;
                    b.finish().await;
                }
            )*
        }
    };
}

conformance!(
    bootstrap_runs_once,
    teams_are_unique_sorted_and_scoped,
    services_are_found_by_key_hash_and_scoped,
    ingest_opens_joins_resolves_ignores_and_tests,
    incident_numbers_count_per_team_and_never_reopen,
    list_filters_paginates_and_searches,
    acknowledge_resolve_and_notes,
    out_of_scope_incidents_are_not_found,
    tokens_are_found_by_hash_and_touched,
    concurrent_identical_alerts_open_one_incident,
    times_keep_microseconds,
);
