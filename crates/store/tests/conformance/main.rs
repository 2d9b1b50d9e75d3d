//! One conformance suite for every backend (`Store` and `AccountStore`): each case below runs,
//! with the same code, against SQLite (a temp file) and PostgreSQL (a fresh database per test in
//! the cluster named by `TOCSIN_TEST_POSTGRES_URL`, which `scripts/test` always provides).

mod accounts;
mod backend;
mod batching;
mod cases;
mod engine;
mod engine_round;
mod heartbeats;
mod kapacitor;
mod lifecycle;
mod noise;
mod paging;
mod pg_race;
mod schedules;
mod timeline;
mod upgrade;

macro_rules! conformance {
    ($($module:ident::$case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let b = crate::backend::Backend::sqlite();
                    crate::$module::$case(b.handle()).await;
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
                    crate::$module::$case(b.handle()).await;
                    b.finish().await;
                }
            )*
        }
    };
}

conformance!(
    cases::bootstrap_runs_once,
    kapacitor::teams_keep_their_kapacitor_url_within_scope,
    kapacitor::read_only_services_say_which_heard_from_kapacitor,
    cases::teams_are_unique_sorted_and_scoped,
    cases::services_are_found_by_key_hash_and_scoped,
    cases::ingest_opens_joins_resolves_ignores_and_tests,
    cases::incident_numbers_count_per_team_and_never_reopen,
    cases::list_filters_paginates_and_searches,
    cases::acknowledge_resolve_and_notes,
    cases::out_of_scope_incidents_are_not_found,
    cases::tokens_are_found_by_hash_and_touched,
    cases::concurrent_identical_alerts_open_one_incident,
    cases::times_keep_microseconds,
    cases::filters_with_nul_find_nothing,
    cases::incident_summary_counts_by_day_and_open_by_service,
    timeline::timeline_pages_hold_every_event_once_newest_first_without_bodies,
    timeline::payloads_are_read_one_at_a_time_exactly_and_within_scope,
    batching::bursts_match_one_by_one_application,
    batching::many_opens_in_one_burst_number_each_team_from_one,
    accounts::first_admin_is_created_once_even_when_racing,
    accounts::usernames_are_unique_ignoring_ascii_case,
    accounts::users_are_listed_by_name_within_scope,
    accounts::members_get_roles_changed_and_removed,
    accounts::tokens_are_seen_and_revoked_by_owner_or_team,
    accounts::sessions_are_found_by_hash_and_expired_ones_forgotten,
    accounts::rotated_keys_keep_the_old_one_only_through_the_grace,
    accounts::audit_is_listed_newest_first_within_scope,
    lifecycle::the_last_owner_keeps_the_team,
    lifecycle::a_new_password_ends_the_other_sessions,
    lifecycle::sessions_are_listed_touched_and_ended_by_their_user,
    lifecycle::disabled_users_lose_their_sessions_and_an_org_admin_remains,
    engine::a_policy_pages_each_step_once_and_notices_everyone_paged,
    engine::acknowledging_stops_escalation_and_people_are_told,
    engine::a_source_acknowledge_stops_escalation_as_a_person_does,
    engine::failed_attempts_wait_their_backoff_and_give_up_after_five,
    engine::an_ack_timeout_retriggers_and_round_robin_takes_turns,
    engine::a_schedule_target_pages_the_on_call_and_whoever_takes_over,
    engine_round::one_round_carries_out_a_step_and_claims_what_it_planned,
    paging::contact_methods_belong_to_their_user,
    paging::a_user_has_a_bounded_number_of_contact_methods,
    paging::notification_rules_go_with_their_contact_method,
    paging::channels_are_team_owned_and_scoped,
    paging::policies_name_only_what_exists_and_hold_their_channels,
    paging::services_run_a_policy_of_their_own_team,
    paging::a_channel_and_a_policy_naming_it_never_both_win_a_race,
    schedules::schedules_are_team_owned_unique_and_scoped,
    schedules::overrides_belong_to_their_schedule_and_end,
    schedules::calendar_feeds_are_found_by_hash_until_revoked,
    schedules::policies_name_only_their_teams_schedules_which_stay_while_named,
    heartbeats::heartbeats_are_service_owned_unique_and_scoped,
    heartbeats::a_missed_heartbeat_pages_once_and_a_check_in_resolves_it,
    heartbeats::a_deleted_heartbeat_stops_and_its_incident_stays,
    heartbeats::concurrent_firings_fire_each_heartbeat_once,
    heartbeats::a_heartbeat_missed_in_a_maintenance_window_is_suppressed,
    noise::rules_are_kept_per_service_within_scope_and_routes_stay_in_the_team,
    noise::a_window_suppresses_pages_nobody_and_ends,
    noise::each_rule_kind_applies_in_order,
    noise::a_passed_dedup_window_replaces_the_open_incident,
);
