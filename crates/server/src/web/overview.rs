use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Duration, Utc};
use maud::html;
use serde::Deserialize;

use super::{chart, layout, Ctx, WebCaller, WebError};
use crate::json::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct TeamParam {
    pub team: Option<String>,
}

pub async fn page(
    State(s): State<AppState>, WebCaller(caller): WebCaller, headers: HeaderMap,
    ApiQuery(q): ApiQuery<TeamParam>,
) -> Result<Response, WebError> {
    let ctx = Ctx::load(&s, caller, &headers, q.team.as_deref(), "/").await?;
    let today = Utc::now().date_naive();
    let since = Utc::now() - Duration::days(30);
    let summary = s
        .store
        .incident_summary(ctx.caller.reads(), ctx.team_id(), since)
        .await?;
    let days = chart::fill_days(today, 30, &summary.opened_per_day);
    let services = s
        .store
        .list_services(ctx.caller.reads(), ctx.team_id())
        .await?;
    let body = html! {
        h1 { "Overview" @if let Some(t) = &ctx.team { " — " (t.name) } }
        div.grid2 {
            section.card {
                h2 { "Incidents per day, last 30 days" }
                (chart::per_day(&days))
            }
            section.card {
                h2 { "Open incidents by service" }
                @if summary.open_by_service.is_empty() {
                    p.muted { "No open incidents." }
                } @else {
                    table {
                        thead { tr { th { "Service" } th { "Open" } } }
                        tbody {
                            @for (id, n) in &summary.open_by_service {
                                @let name = services.iter().find(|x| x.id == *id).map(|x| x.name.as_str()).unwrap_or("?");
                                tr {
                                    td { a href={"/services/" (id)} { (name) } }
                                    td { a href={"/incidents?status=open&service_id=" (id)} { (n) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.respond(layout::page(&ctx, "Overview", "Overview", body)))
}
